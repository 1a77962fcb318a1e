package import Foundation
package import Logging
import RoleSyncJSON
package import RoleSyncMapping

/// The ledger's rules (SPEC §2–§5), independent of HTTP and of the database: sign-in, manual role
/// and status edits, eligibility, and re-evaluation of every user under a new mapping.
///
/// Every operation reads what it needs, decides, and applies its writes in one transaction with
/// preconditions (the user's version, an active `super_admin` remaining); when a concurrent writer
/// invalidated the read, it reads again and decides again.
package struct SyncService: Sendable {
    package let store: any LedgerStore
    package let mappings: MappingRegistry
    let logger: Logger
    let now: @Sendable () -> Date
    /// How long a break-glass override may last.
    package let overridePolicy: OverridePolicy
    /// Records where the candidate mappings disagree with the live ones; `nil` records nothing.
    package let shadow: ShadowRecorder?
    /// Looks up a token's distributed claims in the IdP's directory at sign-in; `nil`: they stay unknown.
    let claimResolver: (any DirectoryClaimResolver)?
    /// How often an operation is tried when concurrent writes keep invalidating what it read.
    static let attempts = 64

    /// Waits a random, growing while before trying again, so that writers racing for one user
    /// spread out instead of invalidating each other in lockstep.
    static func backOff(_ attempt: Int) async {
        let ceiling = 100 << min(attempt, 7)
        try? await Task.sleep(for: .microseconds(Int.random(in: 0...ceiling)))
    }

    /// - Parameters:
    ///   - store: the ledger's storage.
    ///   - mappings: the mappings in force (reloadable).
    ///   - logger: where decisions are logged (never tokens or claims values).
    ///   - overridePolicy: how long a break-glass override may last.
    ///   - shadow: where differences of the candidate mappings (``MappingRegistry/shadow``) go.
    ///   - now: the clock; tests pass their own.
    ///   - claimResolver: finds distributed claims in the IdP's directory at sign-in (see
    ///     ``DirectoryClaimResolver``); without one they are unknown.
    package init(
        store: any LedgerStore,
        mappings: MappingRegistry,
        logger: Logger,
        overridePolicy: OverridePolicy = OverridePolicy(),
        shadow: ShadowRecorder? = nil,
        now: @escaping @Sendable () -> Date = Date.init,
        claimResolver: (any DirectoryClaimResolver)? = nil
    ) {
        self.shadow = shadow
        self.store = store
        self.mappings = mappings
        self.logger = logger
        self.overridePolicy = overridePolicy
        self.now = now
        self.claimResolver = claimResolver
    }

    // MARK: Sign-in

    /// Signs a user in from their ID-token claims: the path the login callback and
    /// `rolesync users sign-in` share.
    ///
    /// Creates the user on first sign-in; afterwards refreshes profile, last claims and last sign-in,
    /// and sets a covered user's role to the mapped one. Refusals change nothing except what a
    /// `deactivate` rule demands, and are audited.
    /// - Parameters:
    ///   - issuer: the token's issuer, which selects the mapping.
    ///   - claims: the verified claims.
    /// - Returns: what happened; a refusal is a result, not an error.
    /// - Throws: store errors, or ``LedgerError/contention``.
    package func signIn(issuer: String, claims: Claims) async throws -> SignInResult {
        let subject: String? = {
            if case .string(let s)? = claims.values["sub"], !s.isEmpty { return s }
            return nil
        }()
        guard let mapping = mappings.current.mapping(forIssuer: issuer) else {
            return try await refuseEarly(.noMapping(issuer: issuer), issuer: issuer, subject: subject)
        }
        guard let subject else {
            return try await refuseEarly(.missingSubject, issuer: issuer, subject: nil)
        }
        // Distributed claims the directory knows are decided on, and stored, as the directory has them.
        let resolved = await resolvingDistributedClaims(issuer: issuer, claims: claims)
        let decision = mapping.evaluate(resolved, tracing: !resolved.sources.isEmpty)
        let time = now()
        // One write transaction reads the user and applies the decision, so concurrent sign-ins of
        // one identity are serialised instead of racing. Most sign-ins change nothing but the last sign-in: the transaction then writes nothing, and
        // the sign-in is recorded after it (batched by a server's store).
        var ((result, touched), ids) = try await store.decide(issuer: issuer, subject: subject) { existing, superAdmins in
            let plan = SignInRules.plan(
                .init(
                    issuer: issuer,
                    subject: subject,
                    claims: resolved.withoutSources,
                    mapping: mapping,
                    decision: decision,
                    existing: existing,
                    activeSuperAdmins: existing?.isActiveSuperAdmin == true ? try superAdmins() : 0,
                    time: time
                )
            ).recordingClaimSources(decision.claimSources)
            if let existing, let result = SignInRules.touchOnly(plan, existing: existing) {
                return (LedgerChanges(), (result, existing.id as UserID?))
            }
            return (plan.changes, (plan.result, nil))
        }
        if let touched {
            try await store.recordSignIn(of: touched, at: time)
            log(result, issuer: issuer)
            compareShadow(decision, claims: resolved, issuer: issuer, subject: subject, user: result.user, via: .signIn, at: time)
            return result
        }
        if result.isCreated, let id = ids.first {
            result.user?.id = id
            result.events = result.events.map {
                var e = $0
                e.userID = id
                return e
            }
        }
        log(result, issuer: issuer)
        compareShadow(decision, claims: resolved, issuer: issuer, subject: subject, user: result.user, via: .signIn, at: time)
        return result
    }

    /// Evaluates the candidate mapping for the issuer, if there is one, on the claims the live
    /// decision saw, and queues any difference. Writes nothing now; never fails the caller.
    func compareShadow(
        _ live: Decision?,
        claims: Claims,
        issuer: String,
        subject: String,
        user: User?,
        via path: ShadowDifference.Path,
        at time: Date
    ) {
        guard let shadow, let live, let candidate = mappings.shadow?.mapping(forIssuer: issuer) else { return }
        shadow.compare(
            live: live,
            candidate: candidate.evaluate(claims, tracing: false),
            issuer: issuer,
            subject: subject,
            user: user,
            via: path,
            at: time
        )
    }

    /// Audits a sign-in refused before the ledger's rules were reached: a bad or replayed
    /// callback, an ID token that failed a check, a provider error. Nothing else is written.
    /// - Parameters:
    ///   - issuer: the provider the sign-in went to.
    ///   - subject: the verified subject, when the refusal came after the ID token was verified.
    ///   - code: a stable reason code.
    ///   - detail: the operator-facing explanation (never a token, code or secret).
    package func recordRefusal(issuer: String?, subject: String?, code: String, detail: String) async throws {
        let (existing, _) = try await auditRefusal(
            issuer: issuer,
            subject: subject,
            details: [.reason: .string(code), .detail: .string(detail), .stage: .string("oidc")]
        )
        if logger.logLevel <= .notice {
            logger.notice(
                "sign-in refused",
                metadata: ["issuer": "\(issuer ?? "-")", "reason": "\(code)", "user_id": "\(existing?.id.description ?? "-")"]
            )
        }
    }

    /// Writes one `signin.refused` event, naming the user when the identity is known.
    private func auditRefusal(
        issuer: String?,
        subject: String?,
        details: [AuditKey: ClaimValue]
    ) async throws -> (User?, AuditEvent) {
        var existing: User?
        if let issuer, let subject { existing = try await store.user(issuer: issuer, subject: subject) }
        let event = AuditEvent(
            time: now(),
            actor: .idp,
            action: .signInRefused,
            userID: existing?.id,
            issuer: issuer,
            subject: subject,
            details: details
        )
        try await store.apply(LedgerChanges(audit: [event]))
        return (existing, event)
    }

    private func refuseEarly(_ refusal: SignInRefusal, issuer: String, subject: String?) async throws -> SignInResult {
        let (existing, event) = try await auditRefusal(
            issuer: issuer,
            subject: subject,
            details: [.reason: .string(refusal.code), .detail: .string(refusal.description)]
        )
        let result = SignInResult(user: existing, refusal: refusal, isCreated: false, events: [event], decision: nil)
        log(result, issuer: issuer)
        return result
    }

    private func log(_ result: SignInResult, issuer: String) {
        // Building metadata costs more than the check: skip it when nothing would be logged.
        guard logger.logLevel <= (result.refusal == nil ? .info : .notice) else { return }
        var metadata: Logger.Metadata = ["issuer": "\(issuer)"]
        if let id = result.user?.id { metadata["user_id"] = "\(id)" }
        if let refusal = result.refusal {
            metadata["reason"] = "\(refusal.code)"
            logger.notice("sign-in refused", metadata: metadata)
        } else {
            metadata["created"] = "\(result.isCreated)"
            metadata["role"] = "\(result.user?.role.rawValue ?? "-")"
            logger.info("signed in", metadata: metadata)
        }
    }

    // MARK: Reads

    /// Answers when the ledger's database does (a read; `GET /healthz`).
    package func ping() async throws {
        try await store.ping()
    }

    /// Writes the ledger's probe row (`GET /readyz`): throws while the database cannot write.
    package func probeWrite() async throws {
        try await store.probeWrite(at: now())
    }

    /// A page of users for listings.
    package func users(matching query: UsersQuery) async throws -> UsersPage {
        try await store.users(matching: query)
    }

    /// The user with this id. - Throws: ``LedgerError/userNotFound(_:)``.
    package func user(id: UserID) async throws -> User {
        guard let user = try await store.user(id: id) else { throw LedgerError.userNotFound("\(id)") }
        return user
    }

    /// Audit events, newest first.
    package func auditEvents(matching query: AuditQuery) async throws -> AuditPage {
        try await store.auditEvents(matching: query)
    }

    /// How many browser sessions the user has open.
    package func sessionCount(of id: UserID) async throws -> Int {
        try await store.sessionCount(userID: id)
    }

    /// A user with their eligibility and activity, read together (``LedgerReads/activity(of:recent:)``).
    package func detail(of user: User, recent: Int = 20) async throws -> UserDetail {
        UserDetail(user: user, eligibility: eligibility(of: user), activity: try await store.activity(of: user.id, recent: recent))
    }

    /// The shadow mapping's recorded differences; none when this service records none.
    package func shadowDifferences(matching query: ShadowQuery) async throws -> ShadowPage {
        guard let shadow else { return ShadowPage(differences: [], total: 0, counts: [:]) }
        return try await shadow.differences(matching: query)
    }

    // MARK: Eligibility and look-up

    /// Whether the user's role may be edited by hand, under the mappings in force.
    package func eligibility(of user: User) -> Eligibility {
        Eligibility(of: user, under: mappings.current, complete: mappings.isConfigurations)
    }

    /// A user by id (digits) or email (unique, case-insensitive).
    /// - Throws: ``LedgerError/userNotFound(_:)``, also when several users share the email.
    package func user(reference: String) async throws -> User {
        if let id = Int64(reference), let user = try await store.user(id: UserID(id)) {
            return user
        }
        let matches = try await store.users(email: reference)
        switch matches.count {
        case 1: return matches[0]
        case 0: throw LedgerError.userNotFound("with id or email '\(reference)'")
        default:
            throw LedgerError.userNotFound(
                "unique for '\(reference)': \(matches.count) users share that email (ids \(matches.map(\.id.description).joined(separator: ", "))); use the id"
            )
        }
    }
}

/// One user as their detail shows them: the row, who owns their role, and their activity.
package struct UserDetail: Sendable {
    package var user: User
    package var eligibility: Eligibility
    package var activity: UserActivity
}
