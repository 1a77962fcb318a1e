import Foundation
import GRDB
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping

// The ledger's rows as GRDB records, read by column name: a column added, dropped or moved in a
// migration can never shift what a field reads. Each decodes into the ledger's own type; an
// unknown enumeration value is ``SQLiteStoreError/corrupt(_:)``, never a silent default.

/// A `users` row.
struct UserRecord: FetchableRecord {
    enum Columns {
        static let id = Column("id")
        static let issuer = Column("issuer")
        static let subject = Column("subject")
        static let email = Column("email")
        static let name = Column("name")
        static let organizationUnit = Column("organization_unit")
        static let role = Column("role")
        static let roleSource = Column("role_source")
        static let status = Column("status")
        static let deactivationReason = Column("deactivation_reason")
        static let deactivationSource = Column("deactivation_source")
        static let registeredAt = Column("registered_at")
        static let lastSignInAt = Column("last_sign_in_at")
        static let signInCount = Column("sign_in_count")
        static let lastClaims = Column("last_claims")
        static let version = Column("version")
        static let overrideRole = Column("override_role")
        static let overrideUntil = Column("override_until")
        static let overrideReason = Column("override_reason")
        static let overrideBy = Column("override_by")
        static let overrideAt = Column("override_at")
        static let overridePreviousRole = Column("override_previous_role")
    }

    /// Every column, for `SELECT`: the record reads them by name, so the order does not matter.
    static let selection = """
        id, issuer, subject, email, name, organization_unit, role, role_source, status, deactivation_reason,
        deactivation_source, registered_at, last_sign_in_at, sign_in_count, last_claims, version,
        override_role, override_until, override_reason, override_by, override_at, override_previous_role
        """

    var user: User

    init(row: Row) throws {
        let id: Int64 = row[Columns.id]
        let claimsText: String = row[Columns.lastClaims]
        let claims: Claims
        do {
            claims = try Claims(json: Data(claimsText.utf8))
        } catch {
            throw SQLiteStoreError.corrupt("user \(id): last_claims: \(error)")
        }
        let role: Role = try Self.decode(row[Columns.role], "role", id)
        let source: RoleSource = try Self.decode(row[Columns.roleSource], "role_source", id)
        let status: UserStatus = try Self.decode(row[Columns.status], "status", id)
        let reason: String? = row[Columns.deactivationReason]
        let deactivationSource: String? = row[Columns.deactivationSource]
        let lastSignIn: Double? = row[Columns.lastSignInAt]
        user = User(
            id: UserID(id),
            issuer: row[Columns.issuer],
            subject: row[Columns.subject],
            email: row[Columns.email],
            name: row[Columns.name],
            organizationUnit: row[Columns.organizationUnit],
            role: role,
            roleSource: source,
            status: status,
            deactivationReason: try reason.map { try Self.decode($0, "deactivation_reason", id) },
            deactivationSource: try deactivationSource.map { try Self.decode($0, "deactivation_source", id) },
            registeredAt: Date(timeIntervalSince1970: row[Columns.registeredAt]),
            lastSignInAt: lastSignIn.map(Date.init(timeIntervalSince1970:)),
            signInCount: row[Columns.signInCount],
            lastClaims: claims,
            version: row[Columns.version],
            override: try Self.override(row, id)
        )
    }

    private static func override(_ row: Row, _ id: Int64) throws -> RoleOverride? {
        let role: String? = row[Columns.overrideRole]
        guard let role else { return nil }
        let by: String = row[Columns.overrideBy] ?? ""
        guard let actor = Actor(by) else { throw SQLiteStoreError.corrupt("user \(id): unknown override_by '\(by)'") }
        let until: Double = row[Columns.overrideUntil] ?? 0
        let at: Double = row[Columns.overrideAt] ?? 0
        return RoleOverride(
            role: try decode(role, "override_role", id),
            until: Date(timeIntervalSince1970: until),
            reason: row[Columns.overrideReason] ?? "",
            grantedBy: actor,
            grantedAt: Date(timeIntervalSince1970: at),
            previousRole: try decode(row[Columns.overridePreviousRole] ?? "", "override_previous_role", id)
        )
    }

    private static func decode<T: RawRepresentable<String>>(_ text: String, _ column: String, _ id: Int64) throws -> T {
        guard let value = T(rawValue: text) else { throw SQLiteStoreError.corrupt("user \(id): unknown \(column) '\(text)'") }
        return value
    }

    /// The row's values for the columns an update may change, by name.
    static func changeableValues(of user: User) -> [(Column, DatabaseValue)] {
        [
            (Columns.email, user.email.databaseValue),
            (Columns.name, user.name.databaseValue),
            (Columns.organizationUnit, user.organizationUnit.databaseValue),
            (Columns.role, user.role.rawValue.databaseValue),
            (Columns.roleSource, user.roleSource.rawValue.databaseValue),
            (Columns.status, user.status.rawValue.databaseValue),
            (Columns.deactivationReason, user.deactivationReason?.rawValue.databaseValue ?? .null),
            (Columns.deactivationSource, user.deactivationSource?.rawValue.databaseValue ?? .null),
            (Columns.lastSignInAt, user.lastSignInAt?.timeIntervalSince1970.databaseValue ?? .null),
            (Columns.signInCount, user.signInCount.databaseValue),
            (Columns.lastClaims, user.lastClaims.jsonText.databaseValue),
            (Columns.overrideRole, user.override?.role.rawValue.databaseValue ?? .null),
            (Columns.overrideUntil, user.override?.until.timeIntervalSince1970.databaseValue ?? .null),
            (Columns.overrideReason, user.override?.reason.databaseValue ?? .null),
            (Columns.overrideBy, user.override?.grantedBy.description.databaseValue ?? .null),
            (Columns.overrideAt, user.override?.grantedAt.timeIntervalSince1970.databaseValue ?? .null),
            (Columns.overridePreviousRole, user.override?.previousRole.rawValue.databaseValue ?? .null),
        ]
    }
}

/// A `sessions` row.
struct SessionRecord: FetchableRecord {
    enum Columns {
        static let tokenHash = Column("token_hash")
        static let userID = Column("user_id")
        static let createdAt = Column("created_at")
        static let expiresAt = Column("expires_at")
        static let lastSeenAt = Column("last_seen_at")
    }

    static let selection = "token_hash, user_id, created_at, expires_at, last_seen_at"

    var session: Session

    init(row: Row) {
        session = Session(
            tokenHash: row[Columns.tokenHash],
            userID: UserID(row[Columns.userID]),
            createdAt: Date(timeIntervalSince1970: row[Columns.createdAt]),
            expiresAt: Date(timeIntervalSince1970: row[Columns.expiresAt]),
            lastSeenAt: Date(timeIntervalSince1970: row[Columns.lastSeenAt])
        )
    }
}

/// An `api_keys` row joined with its owner's `users` row (`k` and `u`). Read by position in
/// ``selection``, this record's own column list (not the table's layout, which a migration may
/// change): introspection reads one per request, and a name look-up per column cost it ~2 µs.
struct OwnedKeyRecord: FetchableRecord {
    static let selection = """
        k.id, k.user_id, k.name, k.purpose, k.prefix, k.key_hash, k.created_at, k.expires_at, k.last_used_at,
        k.revoked_at, k.revoked_by, k.revocation_cause, k.revocation_reason,
        u.name, u.email, u.role, u.status, k.rolled_from, k.rolled_to, k.rolled_at
        """
    /// The tables the selection reads.
    static let source = "api_keys k JOIN users u ON u.id = k.user_id"

    var owned: OwnedKey

    init(row: Row) throws {
        let id: Int64 = row[0]
        let expiresAt: Double? = row[7]
        let lastUsedAt: Double? = row[8]
        let revokedAt: Double? = row[9]
        let revokedByText: String? = row[10]
        let causeText: String? = row[11]
        let rolledAt: Double? = row[19]
        let (purpose, role, status) = try Self.enumerations(key: id, purpose: row[3], role: row[15], status: row[16])
        var revokedBy: Actor?
        if let revokedByText {
            guard let actor = Actor(revokedByText) else { throw SQLiteStoreError.corrupt("key \(id): unknown revoked_by '\(revokedByText)'") }
            revokedBy = actor
        }
        var cause: KeyRevocationCause?
        if let causeText {
            guard let parsed = KeyRevocationCause(rawValue: causeText) else {
                throw SQLiteStoreError.corrupt("key \(id): unknown cause '\(causeText)'")
            }
            cause = parsed
        }
        let key = APIKey(
            id: id,
            userID: UserID(row[1]),
            name: row[2],
            purpose: purpose,
            prefix: row[4],
            keyHash: row[5],
            createdAt: Date(timeIntervalSince1970: row[6]),
            expiresAt: expiresAt.map(Date.init(timeIntervalSince1970:)),
            lastUsedAt: lastUsedAt.map(Date.init(timeIntervalSince1970:)),
            revokedAt: revokedAt.map(Date.init(timeIntervalSince1970:)),
            revokedBy: revokedBy,
            revocationCause: cause,
            revocationReason: row[12],
            rolledFrom: row[17],
            rolledTo: row[18],
            rolledAt: rolledAt.map(Date.init(timeIntervalSince1970:))
        )
        owned = OwnedKey(key: key, owner: KeyOwner(id: key.userID, name: row[13], email: row[14], role: role, status: status))
    }

    /// A key's purpose and its owner's role and status from their stored text; an unknown one is
    /// ``SQLiteStoreError/corrupt(_:)``.
    static func enumerations(key id: Int64, purpose: String, role: String, status: String) throws -> (APIKeyPurpose, Role, UserStatus) {
        guard let parsedPurpose = APIKeyPurpose(rawValue: purpose), let parsedRole = Role(rawValue: role),
            let parsedStatus = UserStatus(rawValue: status)
        else { throw SQLiteStoreError.corrupt("key \(id): unknown purpose '\(purpose)', role '\(role)' or status '\(status)'") }
        return (parsedPurpose, parsedRole, parsedStatus)
    }
}

/// An `audit_events` row.
struct AuditEventRecord: FetchableRecord {
    enum Columns {
        static let id = Column("id")
        static let time = Column("time")
        static let actor = Column("actor")
        static let action = Column("action")
        static let userID = Column("user_id")
        static let issuer = Column("issuer")
        static let subject = Column("subject")
        static let details = Column("details")
    }

    static let selection = "id, time, actor, action, user_id, issuer, subject, details"

    var event: AuditEvent

    init(row: Row) throws {
        let id: Int64 = row[Columns.id]
        let actorText: String = row[Columns.actor]
        let actionText: String = row[Columns.action]
        guard let actor = Actor(actorText), let action = AuditAction(rawValue: actionText) else {
            throw SQLiteStoreError.corrupt("audit event \(id): unknown actor '\(actorText)' or action '\(actionText)'")
        }
        let detailsText: String = row[Columns.details]
        guard case .object(let object)? = try? ClaimValue(json: Data(detailsText.utf8)) else {
            throw SQLiteStoreError.corrupt("audit event \(id): details are not a JSON object")
        }
        let userID: Int64? = row[Columns.userID]
        event = AuditEvent(
            id: id,
            time: Date(timeIntervalSince1970: row[Columns.time]),
            actor: actor,
            action: action,
            userID: userID.map { UserID($0) },
            issuer: row[Columns.issuer],
            subject: row[Columns.subject],
            details: Dictionary(uniqueKeysWithValues: object.map { (AuditKey(rawValue: $0.key), $0.value) })
        )
    }
}

/// A `directory_resources` row.
struct DirectoryResourceRecord: FetchableRecord {
    enum Columns {
        static let issuer = Column("issuer")
        static let kind = Column("kind")
        static let id = Column("id")
        static let externalID = Column("external_id")
        static let name = Column("name")
        static let attributes = Column("attributes")
        static let version = Column("version")
        static let created = Column("created")
        static let modified = Column("modified")
    }

    static let selection = "issuer, kind, id, external_id, name, attributes, version, created, modified"

    var resource: DirectoryResource

    init(row: Row) throws {
        let id: String = row[Columns.id]
        let kindText: String = row[Columns.kind]
        let text: String = row[Columns.attributes]
        guard let kind = DirectoryResource.Kind(rawValue: kindText), case .object(let attributes) = try? ClaimValue(json: Data(text.utf8))
        else {
            throw SQLiteStoreError.corrupt("directory resource \(id): unknown kind '\(kindText)' or attributes not a JSON object")
        }
        resource = DirectoryResource(
            issuer: row[Columns.issuer],
            kind: kind,
            id: id,
            externalId: row[Columns.externalID],
            name: row[Columns.name],
            attributes: attributes,
            version: row[Columns.version],
            created: Date(timeIntervalSince1970: row[Columns.created]),
            modified: Date(timeIntervalSince1970: row[Columns.modified])
        )
    }
}
