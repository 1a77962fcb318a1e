import Crypto
public import Foundation
import RoleSyncJSON
import Synchronization

/// A sign-in between the redirect to the provider and the callback: what RoleSync must remember to
/// check the answer. Kept server-side only; the browser holds just the `state` (in the URL) and a
/// random binding token (in a cookie).
public struct PendingLogin: Sendable {
    /// The configured issuer the login went to.
    public var issuer: String
    /// ≥ 256 random bits each.
    public var state: String
    public var nonce: String
    /// The PKCE code verifier (RFC 7636), 256 random bits.
    public var codeVerifier: String
    /// The same-origin path to return to after sign-in.
    public var returnTo: String?
    public var createdAt: Date
    /// SHA-256 of the browser's binding token.
    var browserBindingHash: Data

    /// The S256 code challenge for ``codeVerifier``.
    public var codeChallenge: String {
        Base64URL.encode(SHA256.hash(data: Data(codeVerifier.utf8)))
    }
}

/// The pending logins of this process: one-time, short-lived, bound to the browser that started
/// them, bounded in number. A used `state` is remembered until it would have expired, so a replay
/// is told apart from a forged state.
public final class LoginStateStore: Sendable {
    private struct State {
        var pending: [Data: PendingLogin] = [:]
        /// Hashes of used states, with when they would have expired.
        var used: [Data: Date] = [:]
        var lastPrune = Date.distantPast
    }

    private let state = Mutex(State())
    /// How long a login may take.
    public let lifetime: TimeInterval
    /// At most this many logins wait at once; the oldest are dropped first.
    public let capacity: Int

    public init(lifetime: TimeInterval = 600, capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// Starts a login.
    /// - Parameters:
    ///   - issuer: the provider's issuer.
    ///   - returnTo: an already validated same-origin path, or `nil`.
    ///   - browserToken: the browser's existing binding token, if it sent a well-formed one, so that
    ///     logins in several tabs do not undo each other.
    ///   - now: the current time.
    /// - Returns: the login, and the binding token to set in the browser's cookie.
    public func begin(
        issuer: String,
        returnTo: String?,
        browserToken: String?,
        now: Date
    ) -> (login: PendingLogin, browserToken: String) {
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
    ///   or ``OIDCError/browserMismatch``. A mismatched browser consumes the state too.
    public func finish(state stateValue: String?, browserToken: String?, now: Date) throws(OIDCError) -> PendingLogin {
        guard let stateValue, Self.isWellFormed(stateValue) else { throw .unknownState }
        let key = Self.hash(stateValue)
        let outcome: Result<PendingLogin, OIDCError> = state.withLock { state in
            if let until = state.used[key], until > now { return .failure(.reusedState) }
            guard let login = state.pending.removeValue(forKey: key) else { return .failure(.unknownState) }
            let expiry = login.createdAt.addingTimeInterval(lifetime)
            state.used[key] = expiry
            guard now < expiry else { return .failure(.expiredState) }
            guard let browserToken, ConstantTime.equal(Self.hash(browserToken), login.browserBindingHash) else {
                return .failure(.browserMismatch)
            }
            return .success(login)
        }
        return try outcome.get()
    }

    /// How many logins are waiting.
    public var count: Int { state.withLock { $0.pending.count } }

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
