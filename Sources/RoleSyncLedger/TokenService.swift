public import Foundation
import RoleSyncMapping

/// Issues, resolves and revokes admin API tokens. Like a session, a token carries a user id, never
/// a role: requests made with it act with the user's role as it is at that moment.
public struct TokenService: Sendable {
    public let store: any LedgerStore
    private let now: @Sendable () -> Date

    public init(store: any LedgerStore, now: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        self.now = now
    }

    /// The prefix every RoleSync token starts with, so secret scanners can find leaked ones.
    public static let scheme = "rs_"

    /// Issues a token for an active user.
    /// - Parameters:
    ///   - userID: whom it acts for.
    ///   - name: what it is for (1–100 printable characters).
    ///   - lifetime: seconds until it expires, or `nil` for a token that lives until revoked.
    ///   - actor: who issues it (audited).
    /// - Returns: the token (shown once; only its hash is kept) and its record.
    /// - Throws: ``LedgerError/userNotFound(_:)``, or ``LedgerError/invalidToken(_:)`` for a bad name
    ///   or an inactive user.
    public func create(
        for userID: UserID,
        name: String,
        lifetime: TimeInterval?,
        by actor: Actor
    ) async throws -> (token: String, record: APIToken) {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard (1...100).contains(trimmed.count), trimmed.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F })
        else {
            throw LedgerError.invalidToken("a token name is 1 to 100 printable characters")
        }
        guard let user = try await store.user(id: userID) else { throw LedgerError.userNotFound("\(userID)") }
        guard user.status == .active else {
            throw LedgerError.invalidToken("\(user.displayName) is inactive; an inactive user's tokens cannot act")
        }
        let token = Self.scheme + SessionService.randomToken()
        let time = now()
        var record = APIToken(
            id: 0,
            userID: userID,
            name: trimmed,
            prefix: String(token.prefix(Self.scheme.count + 8)),
            tokenHash: SessionService.hash(token),
            createdAt: time,
            expiresAt: lifetime.map { time.addingTimeInterval($0) },
            lastUsedAt: nil
        )
        let event = AuditEvent(
            time: time,
            actor: actor,
            action: .tokenCreated,
            userID: userID,
            details: [
                .name: .string(trimmed), .prefix: .string(record.prefix),
                .expiresAt: record.expiresAt.map { .string($0.formatted(.iso8601)) } ?? .null,
            ]
        )
        record.id = try await store.insertToken(record, audit: event)
        return (token, record)
    }

    /// The active user a bearer token acts for, or `nil` when the token is unknown, expired, or its
    /// user is inactive. Use is recorded at most once a minute.
    public func user(forToken token: String) async throws -> User? {
        guard token.hasPrefix(Self.scheme), token.utf8.count <= 256 else { return nil }
        guard let record = try await store.token(hash: SessionService.hash(token)) else { return nil }
        let time = now()
        guard !record.isExpired(at: time) else { return nil }
        guard let user = try await store.user(id: record.userID), user.status == .active else { return nil }
        if record.lastUsedAt.map({ time.timeIntervalSince($0) >= 60 }) ?? true {
            try await store.touchToken(id: record.id, at: time)
        }
        return user
    }

    /// Tokens, newest first.
    public func list(userID: UserID? = nil) async throws -> [APIToken] {
        try await store.tokens(userID: userID)
    }

    /// Revokes a token.
    /// - Throws: ``LedgerError/invalidToken(_:)`` when no token has this id.
    public func revoke(id: Int64, by actor: Actor) async throws {
        guard let record = try await store.tokens(userID: nil).first(where: { $0.id == id }) else {
            throw LedgerError.invalidToken("no token has id \(id)")
        }
        let event = AuditEvent(
            time: now(),
            actor: actor,
            action: .tokenRevoked,
            userID: record.userID,
            details: [.name: .string(record.name), .prefix: .string(record.prefix)]
        )
        guard try await store.deleteToken(id: id, audit: event) else {
            throw LedgerError.invalidToken("no token has id \(id)")
        }
    }
}
