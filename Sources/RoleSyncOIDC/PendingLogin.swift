import Crypto
package import Foundation
import RoleSyncJSON
import Synchronization

/// A sign-in between the redirect to the provider and the callback: what RoleSync must remember to
/// check the answer. Kept server-side only (in memory, or in the database replicas share); the
/// browser holds just the `state` (in the URL) and a random binding token (in a cookie).
package struct PendingLogin: Sendable, Codable {
    /// The configured issuer the login went to.
    package var issuer: String
    /// ≥ 256 random bits each.
    package var state: String
    package var nonce: String
    /// The PKCE code verifier (RFC 7636), 256 random bits.
    package var codeVerifier: String
    /// The same-origin path to return to after sign-in.
    package var returnTo: String?
    package var createdAt: Date
    /// SHA-256 of the browser's binding token.
    var browserBindingHash: Data

    /// The S256 code challenge for ``codeVerifier``.
    package var codeChallenge: String {
        Base64URL.encode(SHA256.hash(data: Data(codeVerifier.utf8)))
    }
}

/// Where replicas keep pending logins together, so that a callback may reach another replica than
/// the one that started the sign-in (the PostgreSQL ledger). Entries are opaque to it.
package protocol SharedLoginStates: Sendable {
    /// Keeps `payload` under `key` until `expiresAt`; drops what expired by `now`, and the oldest
    /// waiting entries beyond `capacity`.
    func putLoginState(key: Data, payload: Data, expiresAt: Date, now: Date, capacity: Int) async throws
    /// Takes the entry under `key`, at most once however many replicas ask together.
    func takeLoginState(key: Data) async throws -> SharedLoginState
}

/// What taking a shared login state found.
package enum SharedLoginState: Sendable, Equatable {
    /// It was waiting; it is taken now.
    case waiting(Data)
    /// It was taken before (a replay), and has not expired yet.
    case taken
    /// It was never stored, or expired and was dropped.
    case unknown
}

/// The pending logins: one-time, short-lived, bound to the browser that started them, bounded in
/// number. A used `state` is remembered until it would have expired, so a replay is told apart from
/// a forged state. Kept in this process's memory, or with ``SharedLoginStates`` in the database
/// that replicas share.
package final class LoginStateStore: Sendable {
    private struct State {
        var pending: [Data: PendingLogin] = [:]
        /// Hashes of used states, with when they would have expired.
        var used: [Data: Date] = [:]
        var lastPrune = Date.distantPast
    }

    private let state = Mutex(State())
    private let shared: (any SharedLoginStates)?
    /// How long a login may take.
    package let lifetime: TimeInterval
    /// At most this many logins wait at once; the oldest are dropped first.
    package let capacity: Int

    /// - Parameter shared: where replicas keep logins together; `nil` keeps them in this process.
    package init(lifetime: TimeInterval = 600, capacity: Int = 10_000, shared: (any SharedLoginStates)? = nil) {
        self.lifetime = lifetime
        self.capacity = capacity
        self.shared = shared
    }

    /// Starts a login.
    /// - Parameters:
    ///   - issuer: the provider's issuer.
    ///   - returnTo: an already validated same-origin path, or `nil`.
    ///   - browserToken: the browser's existing binding token, if it sent a well-formed one, so that
    ///     logins in several tabs do not undo each other.
    ///   - now: the current time.
    /// - Returns: the login, and the binding token to set in the browser's cookie.
    /// - Throws: only the shared store's errors (the database cannot be reached).
    package func begin(
        issuer: String,
        returnTo: String?,
        browserToken: String?,
        now: Date
    ) async throws -> (login: PendingLogin, browserToken: String) {
        let token = browserToken.flatMap { Self.isWellFormed($0) ? $0 : nil } ?? Base64URL.random()
        let login = PendingLogin(
            issuer: issuer,
            state: Base64URL.random(),
            nonce: Base64URL.random(),
            codeVerifier: Base64URL.random(),
            returnTo: returnTo,
            createdAt: now,
            browserBindingHash: Self.hash(token)
        )
        if let shared {
            try await shared.putLoginState(
                key: Self.hash(login.state),
                payload: try JSONEncoder().encode(login),
                expiresAt: now.addingTimeInterval(lifetime),
                now: now,
                capacity: capacity
            )
            return (login, token)
        }
        state.withLock { state in
            Self.prune(&state, now: now, lifetime: lifetime)
            if state.pending.count >= capacity,
                let oldest = state.pending.min(by: { $0.value.createdAt < $1.value.createdAt })?.key
            {
                state.pending[oldest] = nil
            }
            state.pending[Self.hash(login.state)] = login
        }
        return (login, token)
    }

    /// Takes the login a callback's `state` belongs to; it can never be taken again.
    /// - Parameters:
    ///   - stateValue: the callback's `state`.
    ///   - browserToken: the binding token from the browser's cookie.
    ///   - now: the current time.
    /// - Throws: ``OIDCError/unknownState``, ``OIDCError/reusedState``, ``OIDCError/expiredState``
    ///   or ``OIDCError/browserMismatch``; a mismatched browser consumes the state too. Or the shared
    ///   store's errors (the database cannot be reached).
    package func finish(state stateValue: String?, browserToken: String?, now: Date) async throws -> PendingLogin {
        guard let stateValue, Self.isWellFormed(stateValue) else { throw OIDCError.unknownState }
        let key = Self.hash(stateValue)
        let login: PendingLogin
        if let shared {
            switch try await shared.takeLoginState(key: key) {
            case .unknown: throw OIDCError.unknownState
            case .taken: throw OIDCError.reusedState
            case .waiting(let payload):
                // Written by a replica of this build or another: anything unreadable was never issued.
                guard let decoded = try? JSONDecoder().decode(PendingLogin.self, from: payload) else { throw OIDCError.unknownState }
                login = decoded
            }
        } else {
            let outcome: Result<PendingLogin, OIDCError> = state.withLock { state in
                if let until = state.used[key], until > now { return .failure(.reusedState) }
                guard let login = state.pending.removeValue(forKey: key) else { return .failure(.unknownState) }
                state.used[key] = login.createdAt.addingTimeInterval(lifetime)
                return .success(login)
            }
            login = try outcome.get()
        }
        guard now < login.createdAt.addingTimeInterval(lifetime) else { throw OIDCError.expiredState }
        guard let browserToken, ConstantTime.equal(Self.hash(browserToken), login.browserBindingHash) else {
            throw OIDCError.browserMismatch
        }
        return login
    }

    /// How many logins wait in this process (none when they are shared).
    package var count: Int { state.withLock { $0.pending.count } }

    /// Drops expired entries, at most every ten seconds so a burst of logins stays cheap.
    private static func prune(_ state: inout State, now: Date, lifetime: TimeInterval) {
        guard now.timeIntervalSince(state.lastPrune) >= 10 || now < state.lastPrune else { return }
        state.lastPrune = now
        state.used = state.used.filter { $0.value > now }
        state.pending = state.pending.filter { now < $0.value.createdAt.addingTimeInterval(lifetime) }
    }

    static func hash(_ value: String) -> Data { Data(SHA256.hash(data: Data(value.utf8))) }

    /// Base64url of 16 to 128 bytes: anything else was never issued here.
    static func isWellFormed(_ value: String) -> Bool {
        (22...172).contains(value.utf8.count) && Base64URL.decode(value) != nil
    }
}
