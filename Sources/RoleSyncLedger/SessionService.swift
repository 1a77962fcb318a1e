import Crypto
package import Foundation
import RoleSyncJSON

/// Creates, resolves and ends sessions. A session carries a user id, never a role: the role is
/// read fresh on every request, so a role change takes effect on the user's next request.
package struct SessionService: Sendable {
    package let store: any LedgerStore
    /// A session unused for this long ends.
    package var idleTimeout: TimeInterval
    /// A session ends this long after sign-in, however active.
    package var absoluteLifetime: TimeInterval
    private let now: @Sendable () -> Date

    /// - Parameters:
    ///   - store: where sessions live.
    ///   - idleTimeout: seconds of inactivity that end a session (default 8 hours).
    ///   - absoluteLifetime: seconds after which a session ends regardless (default 7 days).
    ///   - now: the clock; tests pass their own.
    package init(
        store: any LedgerStore,
        idleTimeout: TimeInterval = 8 * 3600,
        absoluteLifetime: TimeInterval = 7 * 24 * 3600,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.idleTimeout = idleTimeout
        self.absoluteLifetime = absoluteLifetime
        self.now = now
    }

    /// Starts a session for a user.
    /// - Returns: the token to hand to the browser (256 random bits, base64url); only its hash is kept.
    package func create(for userID: UserID) async throws -> String {
        let token = Self.randomToken()
        let time = now()
        try await store.insertSession(
            Session(
                tokenHash: Self.hash(token),
                userID: userID,
                createdAt: time,
                expiresAt: time.addingTimeInterval(absoluteLifetime),
                lastSeenAt: time
            )
        )
        return token
    }

    /// The active user a token belongs to, or `nil` when the token is unknown, expired, idle too
    /// long, or its user is gone or inactive. An expired session is deleted.
    package func user(forToken token: String) async throws -> User? {
        guard !token.isEmpty, token.count <= 256 else { return nil }
        let hash = Self.hash(token)
        guard let session = try await store.session(tokenHash: hash) else { return nil }
        let time = now()
        if time >= session.expiresAt || time.timeIntervalSince(session.lastSeenAt) >= idleTimeout {
            try await store.deleteSession(tokenHash: hash)
            return nil
        }
        guard let user = try await store.user(id: session.userID), user.status == .active else { return nil }
        // Record activity at most once a minute: enough for the idle timeout, cheap for the store.
        if time.timeIntervalSince(session.lastSeenAt) >= 60 {
            try await store.touchSession(tokenHash: hash, at: time)
        }
        return user
    }

    /// Ends the session of a token (sign-out). Returns whether there was one.
    @discardableResult
    package func end(token: String) async throws -> Bool {
        try await store.deleteSession(tokenHash: Self.hash(token))
    }

    /// 256 random bits from the system's secure generator, base64url without padding: session ids
    /// (API keys have their own format: ``APIKeyFormat``).
    static func randomToken() -> String {
        Base64URL.random(byteCount: 32)
    }

    /// Hex SHA-256 of a token: what the store keeps.
    package static func hash(_ token: String) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in SHA256.hash(data: Data(token.utf8)) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
