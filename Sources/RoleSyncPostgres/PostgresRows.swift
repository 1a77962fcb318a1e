import Foundation
import PostgresNIO
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping

// The ledger's rows read by column name from the selections below; an unknown enumeration value is
// ``PostgresStoreError/corrupt(_:)``, never a silent default.

enum PostgresRows {
    static let user = """
        id, issuer, subject, email, name, organization_unit, role, role_source, status, deactivation_reason,
        deactivation_source, registered_at, last_sign_in_at, sign_in_count, last_claims::text AS last_claims, version,
        override_role, override_until, override_reason, override_by, override_at, override_previous_role
        """

    static func user(_ row: PostgresRow) throws -> User {
        let r = PostgresRandomAccessRow(row)
        let id = try r["id"].decode(Int64.self)
        let claimsText = try r["last_claims"].decode(String.self)
        let claims: Claims
        do {
            claims = try Claims(json: Data(claimsText.utf8))
        } catch {
            throw PostgresStoreError.corrupt("user \(id): last_claims: \(error)")
        }
        return User(
            id: UserID(id),
            issuer: try r["issuer"].decode(String.self),
            subject: try r["subject"].decode(String.self),
            email: try r["email"].decode(String?.self),
            name: try r["name"].decode(String?.self),
            organizationUnit: try r["organization_unit"].decode(String?.self),
            role: try enumeration(r["role"].decode(String.self), "user \(id): role"),
            roleSource: try enumeration(r["role_source"].decode(String.self), "user \(id): role_source"),
            status: try enumeration(r["status"].decode(String.self), "user \(id): status"),
            deactivationReason: try r["deactivation_reason"].decode(String?.self).map { try enumeration($0, "user \(id): deactivation_reason") },
            deactivationSource: try r["deactivation_source"].decode(String?.self).map { try enumeration($0, "user \(id): deactivation_source") },
            registeredAt: try r["registered_at"].decode(Date.self),
            lastSignInAt: try r["last_sign_in_at"].decode(Date?.self),
            signInCount: Int(try r["sign_in_count"].decode(Int64.self)),
            lastClaims: claims,
            version: Int(try r["version"].decode(Int64.self)),
            override: try override(r, id)
        )
    }

    private static func override(_ r: PostgresRandomAccessRow, _ id: Int64) throws -> RoleOverride? {
        guard let role = try r["override_role"].decode(String?.self) else { return nil }
        let by = try r["override_by"].decode(String?.self) ?? ""
        guard let actor = Actor(by) else { throw PostgresStoreError.corrupt("user \(id): unknown override_by '\(by)'") }
        return RoleOverride(
            role: try enumeration(role, "user \(id): override_role"),
            until: try r["override_until"].decode(Date?.self) ?? Date(timeIntervalSince1970: 0),
            reason: try r["override_reason"].decode(String?.self) ?? "",
            grantedBy: actor,
            grantedAt: try r["override_at"].decode(Date?.self) ?? Date(timeIntervalSince1970: 0),
            previousRole: try enumeration(r["override_previous_role"].decode(String?.self) ?? "", "user \(id): override_previous_role")
        )
    }

    static let session = "token_hash, user_id, created_at, expires_at, last_seen_at"

    static func session(_ row: PostgresRow) throws -> Session {
        let (hash, user, created, expires, seen) = try row.decode((String, Int64, Date, Date, Date).self)
        return Session(tokenHash: hash, userID: UserID(user), createdAt: created, expiresAt: expires, lastSeenAt: seen)
    }

    static let auditEvent = "id, time, actor, action, user_id, issuer, subject, details::text AS details"

    static func auditEvent(_ row: PostgresRow) throws -> AuditEvent {
        try auditEvent(try row.decode((Int64, Date, String, String, Int64?, String?, String?, String).self))
    }

    /// The columns of ``auditEvent`` then the writing transaction's `xid8` as text: the audit stream.
    static let auditStreamEvent = auditEvent + ", xid::text AS commit_order"

    static func auditStreamEvent(_ row: PostgresRow) throws -> (event: AuditEvent, position: AuditStreamPosition) {
        let (id, time, actor, action, userID, issuer, subject, details, commitText) = try row.decode(
            (Int64, Date, String, String, Int64?, String?, String?, String, String).self
        )
        guard let commit = UInt64(commitText) else {
            throw PostgresStoreError.corrupt("audit event \(id): transaction id '\(commitText)' is not a number")
        }
        let event = try auditEvent((id, time, actor, action, userID, issuer, subject, details))
        return (event, AuditStreamPosition(commit: commit, eventID: id))
    }

    static func auditEvent(_ columns: (Int64, Date, String, String, Int64?, String?, String?, String)) throws -> AuditEvent {
        let (id, time, actorText, actionText, userID, issuer, subject, detailsText) = columns
        guard let actor = Actor(actorText), let action = AuditAction(rawValue: actionText) else {
            throw PostgresStoreError.corrupt("audit event \(id): unknown actor '\(actorText)' or action '\(actionText)'")
        }
        guard case .object(let object)? = try? ClaimValue(json: Data(detailsText.utf8)) else {
            throw PostgresStoreError.corrupt("audit event \(id): details are not a JSON object")
        }
        return AuditEvent(
            id: id,
            time: time,
            actor: actor,
            action: action,
            userID: userID.map { UserID($0) },
            issuer: issuer,
            subject: subject,
            details: Dictionary(uniqueKeysWithValues: object.map { (AuditKey(rawValue: $0.key), $0.value) })
        )
    }

    /// An `api_keys` row (`k`) with its owner (`u`).
    static let ownedKey = """
        k.id, k.user_id, k.name, k.purpose, k.prefix, k.key_hash, k.created_at, k.expires_at, k.last_used_at,
        k.revoked_at, k.revoked_by, k.revocation_cause, k.revocation_reason,
        u.name AS owner_name, u.email AS owner_email, u.role AS owner_role, u.status AS owner_status,
        k.rolled_from, k.rolled_to, k.rolled_at
        """
    static let ownedKeySource = "api_keys k JOIN users u ON u.id = k.user_id"

    static func ownedKey(_ row: PostgresRow) throws -> OwnedKey {
        let r = PostgresRandomAccessRow(row)
        let id = try r["id"].decode(Int64.self)
        let revokedBy = try r["revoked_by"].decode(String?.self)
        let key = APIKey(
            id: id,
            userID: UserID(try r["user_id"].decode(Int64.self)),
            name: try r["name"].decode(String.self),
            purpose: try enumeration(r["purpose"].decode(String.self), "key \(id): purpose"),
            prefix: try r["prefix"].decode(String.self),
            keyHash: try r["key_hash"].decode(String.self),
            createdAt: try r["created_at"].decode(Date.self),
            expiresAt: try r["expires_at"].decode(Date?.self),
            lastUsedAt: try r["last_used_at"].decode(Date?.self),
            revokedAt: try r["revoked_at"].decode(Date?.self),
            revokedBy: try revokedBy.map { text in
                guard let actor = Actor(text) else { throw PostgresStoreError.corrupt("key \(id): unknown revoked_by '\(text)'") }
                return actor
            },
            revocationCause: try r["revocation_cause"].decode(String?.self).map { try enumeration($0, "key \(id): revocation_cause") },
            revocationReason: try r["revocation_reason"].decode(String?.self),
            rolledFrom: try r["rolled_from"].decode(Int64?.self),
            rolledTo: try r["rolled_to"].decode(Int64?.self),
            rolledAt: try r["rolled_at"].decode(Date?.self)
        )
        let owner = KeyOwner(
            id: key.userID,
            name: try r["owner_name"].decode(String?.self),
            email: try r["owner_email"].decode(String?.self),
            role: try enumeration(r["owner_role"].decode(String.self), "user \(key.userID): role"),
            status: try enumeration(r["owner_status"].decode(String.self), "user \(key.userID): status")
        )
        return OwnedKey(key: key, owner: owner)
    }

    static let directoryResource = "issuer, kind, id, external_id, name, attributes::text AS attributes, version, created, modified"

    static func directoryResource(_ row: PostgresRow) throws -> DirectoryResource {
        let (issuer, kindText, id, externalID, name, text, version, created, modified) = try row.decode(
            (String, String, String, String?, String, String, Int64, Date, Date).self
        )
        guard let kind = DirectoryResource.Kind(rawValue: kindText), case .object(let attributes) = try? ClaimValue(json: Data(text.utf8)) else {
            throw PostgresStoreError.corrupt("directory resource \(id): unknown kind '\(kindText)' or attributes not a JSON object")
        }
        return DirectoryResource(
            issuer: issuer,
            kind: kind,
            id: id,
            externalId: externalID,
            name: name,
            attributes: attributes,
            version: Int(version),
            created: created,
            modified: modified
        )
    }

    static func enumeration<T: RawRepresentable<String>>(_ text: String, _ what: String) throws -> T {
        guard let value = T(rawValue: text) else { throw PostgresStoreError.corrupt("\(what): unknown value '\(text)'") }
        return value
    }
}
