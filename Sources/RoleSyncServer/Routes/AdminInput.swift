import Foundation
import Hummingbird
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncReports

/// What the JSON API reads from a request, checked: path ids, JSON bodies with only the members a
/// route takes, and the listings' query parameters. Every refusal names its field
/// (``AdminInputError``).
enum AdminInput {
    /// The largest JSON body a PATCH may have.
    static let maximumJSONBody = 16 * 1024

    /// The largest mapping a dry run takes (a 2,000-rule mapping is about 300 KiB).
    static let maximumMappingBody = 1024 * 1024

    static func userID(_ context: RoleSyncRequestContext) throws -> UserID {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw AdminInputError.badRequest("id", "the user id is a positive integer")
        }
        return UserID(id)
    }

    static func keyID(_ context: RoleSyncRequestContext) throws -> Int64 {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw AdminInputError.badRequest("id", "the key id is a positive integer")
        }
        return id
    }

    /// The body as a JSON object with only `allowed` members (at most ``maximumJSONBody`` bytes);
    /// an empty body is `[:]` when `optional`.
    static func jsonObject(_ request: Request, allowed: [String], what: String, optional: Bool = false) async throws -> [String: ClaimValue] {
        let body = try await request.body.collect(upTo: maximumJSONBody)
        if body.readableBytes == 0, optional { return [:] }
        let members: [String: ClaimValue]
        do {
            guard case .object(let object) = try ClaimValue(json: Data(buffer: body)) else {
                throw AdminInputError.badRequest(nil, "the body must be a JSON object with \(what)")
            }
            members = object
        } catch let error as JSONError {
            throw AdminInputError.badRequest(nil, "the body is not JSON: \(error)")
        }
        if let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw AdminInputError.badRequest(unknown, "unknown field '\(unknown)'; the body takes " + allowed.joined(separator: ", "))
        }
        return members
    }

    // MARK: Listings

    /// The users listing's query parameters (the admin API's and the dashboard's).
    static func usersQuery(_ query: Parameters) throws -> UsersQuery {
        var users = UsersQuery()
        users.search = try Self.searchText(query.get("q"))
        users.role = try Self.enumParameter(query.get("role"), "role", Role.self)
        users.status = try Self.enumParameter(query.get("status"), "status", UserStatus.self)
        users.sort = try Self.enumParameter(query.get("sort"), "sort", UsersQuery.Sort.self) ?? .name
        users.order = try Self.enumParameter(query.get("order"), "order", UsersQuery.Order.self) ?? .ascending
        users.limit = try Self.limit(query.get("limit"))
        users.cursor = try Self.cursor(query.get("cursor"))
        return users
    }

    static func shadowQuery(_ query: Parameters) throws -> ShadowQuery {
        var shadow = ShadowQuery()
        shadow.since = try Self.time(query.get("since"), "since")
        if let issuer = query.get("issuer") {
            guard !issuer.isEmpty, issuer.count <= 1024 else { throw AdminInputError.badRequest("issuer", "'issuer' is an issuer URL") }
            shadow.issuer = issuer
        }
        shadow.kind = try Self.enumParameter(query.get("kind"), "kind", ShadowDifference.Kind.self)
        shadow.limit = try Self.limit(query.get("limit"))
        return shadow
    }

    /// The audit listing's query parameters but `user` (the API takes an id, the dashboard an id or
    /// an email).
    static func auditQuery(_ query: Parameters) throws -> AuditQuery {
        var audit = AuditQuery()
        audit.action = try Self.enumParameter(query.get("action"), "action", AuditAction.self)
        if let actor = query.get("actor") {
            guard let parsed = Actor(actor) else {
                throw AdminInputError.badRequest(
                    "actor",
                    "'\(actor)' is not an actor: user:ID, idp, reconciler, scim, cli or system"
                )
            }
            audit.actor = parsed
        }
        audit.since = try Self.time(query.get("since"), "since")
        audit.until = try Self.time(query.get("until"), "until")
        audit.limit = try Self.limit(query.get("limit"))
        audit.cursor = try Self.cursor(query.get("cursor"))
        return audit
    }

    /// ``auditQuery(_:)`` with its `q` resolved: the people (name, email) and keys (name, prefix) it
    /// names. More than ``SyncService/auditSearchLimit`` of either is a 400 naming `q`, not a log
    /// quietly searched for some of them.
    static func auditQuery(_ parameters: Parameters, sync: SyncService, at time: Date) async throws -> AuditQuery {
        var audit = try auditQuery(parameters)
        if let text = try searchText(parameters.get("q")), !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            let search = try await sync.auditSubjects(matching: text, at: time)
            guard !search.isTruncated else {
                throw AdminInputError.badRequest(
                    "q",
                    "more than \(SyncService.auditSearchLimit) people or keys match '\(text)': type more of a name, an email, or a key's name or prefix"
                )
            }
            audit.about = search.subjects
        }
        return audit
    }

    /// A listing's `q`: at most 200 characters, without NUL (never part of a name, an email or a
    /// key name, and neither SQLite's full-text query nor PostgreSQL's text takes one); `nil` when
    /// nothing is left.
    static func searchText(_ q: String?) throws -> String? {
        guard let q else { return nil }
        guard q.unicodeScalars.count <= 200 else { throw AdminInputError.badRequest("q", "the search text is at most 200 characters") }
        let text = q.replacingOccurrences(of: "\u{0}", with: "")
        return text.isEmpty ? nil : text
    }

    /// The keys listing's query parameters (the admin API's and the dashboard's). `owner` is a user
    /// id or an email (the one user who has it), which `keys` looks up.
    static func keysQuery(_ parameters: Parameters, keys: KeyService) async throws -> KeysQuery {
        var query = KeysQuery()
        query.search = try Self.searchText(parameters.get("q"))
        if let owner = parameters.get("owner") {
            guard !owner.isEmpty, owner.unicodeScalars.count <= 320, !owner.contains("\u{0}") else {
                throw AdminInputError.badRequest("owner", "'owner' is a user id or an email")
            }
            do {
                query.ownerID = try await keys.ownerID(reference: owner)
            } catch let error as OwnerFilterError {
                throw AdminInputError.badRequest("owner", "\(error)")
            }
        }
        try Self.keyStatus(parameters.get("status"), into: &query, keys: keys)
        query.purpose = try Self.enumParameter(parameters.get("purpose"), "purpose", APIKeyPurpose.self)
        query.sort = try Self.enumParameter(parameters.get("sort"), "sort", KeysQuery.Sort.self) ?? .created
        query.order = try Self.enumParameter(parameters.get("order"), "order", UsersQuery.Order.self) ?? .descending
        query.limit = try Self.limit(parameters.get("limit"))
        query.cursor = try Self.cursor(parameters.get("cursor"))
        return query
    }

    /// The `status` that asks for every status, as leaving it out does (the dashboard's hygiene
    /// view shows active keys by default).
    static let anyStatus = "any"

    /// The keys listing's `status`: a key's status, or a policy's view of the active keys:
    /// `stale` (`keys.stale_after`) or `over_max_lifetime` (`keys.max_lifetime`).
    static func keyStatus(_ text: String?, into query: inout KeysQuery, keys: KeyService) throws {
        switch text {
        case nil, anyStatus?: return
        case KeysQuery.staleStatus?:
            guard let before = keys.staleBefore() else {
                throw AdminInputError.badRequest("status", "'stale' needs keys.stale_after in the configuration (no key is stale without it)")
            }
            query.status = .active
            query.unusedSince = before
        case KeysQuery.overMaxLifetimeStatus?:
            guard let maxLifetime = keys.policy.maxLifetime else {
                throw AdminInputError.badRequest("status", "'over_max_lifetime' needs keys.max_lifetime in the configuration")
            }
            query.status = .active
            query.lifetimeLongerThan = maxLifetime
        case let text?:
            guard let status = APIKeyStatus(rawValue: text) else {
                throw AdminInputError.badRequest(
                    "status",
                    "'\(text)' is not a valid status; one of: "
                        + (APIKeyStatus.allCases.map(\.rawValue) + [KeysQuery.staleStatus, KeysQuery.overMaxLifetimeStatus, anyStatus]).joined(
                            separator: ", "
                        )
                )
            }
            query.status = status
        }
    }

    static func enumParameter<T: RawRepresentable & CaseIterable>(_ text: String?, _ name: String, _: T.Type) throws -> T?
    where T.RawValue == String {
        guard let text else { return nil }
        guard let value = T(rawValue: text) else {
            throw AdminInputError.badRequest(
                name,
                "'\(text)' is not a valid \(name); one of: " + T.allCases.map(\.rawValue).joined(separator: ", ")
            )
        }
        return value
    }

    static func limit(_ text: String?) throws -> Int {
        guard let text else { return 50 }
        guard let limit = Int(text), (1...200).contains(limit) else {
            throw AdminInputError.badRequest("limit", "'limit' is an integer from 1 to 200")
        }
        return limit
    }

    static func cursor(_ text: String?) throws -> String? {
        guard let text else { return nil }
        guard !text.isEmpty, text.count <= 1024 else {
            throw AdminInputError.badRequest("cursor", "'cursor' is the next_cursor of a previous page")
        }
        return text
    }

    static func time(_ text: String?, _ name: String) throws -> Date? {
        guard let text else { return nil }
        guard let date = Timestamp.parse(text) else {
            throw AdminInputError.badRequest(name, "'\(name)' is \(Timestamp.grammar)")
        }
        return date
    }
}
