import Foundation
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncReports
import Testing

@Suite("Audit sentences: every action reads as one sentence naming people, keys, rules and the actor")
struct AuditSentenceTests {
    static let root = UserID(1)
    static let chen = UserID(230)
    static let people: [UserID: AuditPerson] = [
        root: AuditPerson(name: "Root Admin", email: "root@example.com"),
        chen: AuditPerson(name: "Chen Novak", email: "chen.novak@example.com"),
    ]
    static let time = Date(timeIntervalSince1970: 1_800_000_000)

    static func event(_ action: AuditAction, actor: Actor = .user(root), user: UserID? = chen, _ details: [AuditKey: ClaimValue]) -> AuditEvent {
        AuditEvent(time: time, actor: actor, action: action, userID: user, details: details)
    }

    /// One event of each action as the ledger writes it, and words its sentence must have. The
    /// switch has no default: a new action does not compile until it has its sample here, and its
    /// sentence in `AuditSentence`.
    static func sample(_ action: AuditAction) -> (AuditEvent, [String]) {
        switch action {
        case .userCreated:
            (
                event(
                    action,
                    actor: .idp,
                    [
                        .email: "chen.novak@example.com", .name: "Chen Novak", .role: "user", .roleSource: "idp", .rule: "engineers",
                        .mapping: "okta.yaml",
                    ]
                ),
                ["Chen Novak <chen.novak@example.com> signed in for the first time: created as user by rule engineers in okta.yaml"]
            )
        case .profileUpdated:
            (
                event(action, actor: .reconciler, [.claims: .array(["department"]), .via: "directory"]),
                ["updated Chen Novak", "profile: department (directory sync)"]
            )
        case .roleChanged:
            (
                event(
                    action,
                    actor: .idp,
                    [.from: "user", .to: "model_admin", .source: "idp", .rule: "ml", .mapping: "okta.yaml", .via: "reevaluation"]
                ),
                ["The IdP changed Chen Novak <chen.novak@example.com>'s role from user to model_admin by rule ml in okta.yaml (re-evaluation)"]
            )
        case .roleChangeHeld:
            (
                event(action, actor: .idp, [.from: "super_admin", .to: "user", .heldBecause: "last_active_super_admin"]),
                ["held back", "it would leave no active super_admin"]
            )
        case .statusChanged:
            (
                event(
                    action,
                    actor: .reconciler,
                    [.from: "active", .to: "inactive", .reason: "idp", .because: "absent_from_directory", .via: "directory"]
                ),
                ["The directory reconciliation deactivated Chen Novak <chen.novak@example.com>: absent from the directory (directory sync)"]
            )
        case .statusChangeHeld:
            (
                event(action, actor: .idp, [.from: "active", .to: "inactive", .heldBecause: "last_active_super_admin"]),
                ["held back deactivating Chen Novak"]
            )
        case .sessionsEnded:
            (
                event(action, [.reason: "offboarded", .detail: "left the company"]),
                ["Root Admin <root@example.com> ended Chen Novak <chen.novak@example.com>'s sessions with the offboarding: left the company"]
            )
        case .editRefused:
            (
                event(
                    action,
                    actor: .cli,
                    [.field: "role", .from: "user", .to: "model_admin", .reason: "role_managed_by_idp", .detail: "the role is managed by the IdP"]
                ),
                ["An operator (command line) was refused a change of Chen Novak", "role from user to model_admin: the role is managed by the IdP"]
            )
        case .decisionUndetermined:
            (
                event(action, actor: .idp, [.unknownClaims: .array(["groups"]), .roleKept: "user", .mapping: "entra-id.yaml"]),
                ["could not decide", "groups", "user kept"]
            )
        case .signInRefused:
            (
                AuditEvent(
                    time: time,
                    actor: .idp,
                    action: action,
                    issuer: "https://idp",
                    subject: "00u6d8",
                    details: [.reason: "deactivated", .detail: "the IdP deactivated the user"]
                ),
                ["A sign-in of an identity with no account (subject 00u6d8) was refused: the IdP deactivated the user"]
            )
        case .overrideGranted:
            (
                event(action, [.from: "user", .to: "super_admin", .until: "2026-12-07T18:00:00Z", .detail: "incident 4711"]),
                [
                    "Root Admin <root@example.com> gave Chen Novak <chen.novak@example.com> the break-glass role super_admin (instead of user) until 2026-12-07 18:00 UTC: incident 4711"
                ]
            )
        case .overrideEnded:
            (
                event(action, actor: .system, [.reason: "expired", .from: "super_admin", .to: "user", .rule: "engineers", .mapping: "okta.yaml"]),
                ["override ended at its deadline; back to user by rule engineers"]
            )
        case .mappingPromoted:
            (
                event(action, actor: .cli, user: nil, [.live: "okta.yaml", .candidate: "candidates/okta.yaml", .detail: "3 users evaluated"]),
                ["promoted the candidate mapping candidates/okta.yaml to the live okta.yaml"]
            )
        case .keyCreated:
            (
                event(action, [.name: "grafana-exporter-11", .prefix: "rsk_tL9…yEaD", .purpose: "gateway", .expiresAt: .null]),
                ["Root Admin <root@example.com> created the gateway key grafana-exporter-11 (rsk_tL9…yEaD) for Chen Novak"]
            )
        case .keyRevoked:
            (
                event(
                    action,
                    [
                        .keyID: 12, .name: "grafana-exporter-11", .prefix: "rsk_tL9…yEaD", .purpose: "gateway", .cause: "admin",
                        .reason: "found in a public repository",
                    ]
                ),
                [
                    "Root Admin <root@example.com> revoked grafana-exporter-11 (rsk_tL9…yEaD) of Chen Novak <chen.novak@example.com>: found in a public repository"
                ]
            )
        case .keyRolled:
            (
                event(
                    action,
                    actor: .user(chen),
                    [.name: "ci", .prefix: "rsk_Aaa…1111", .newPrefix: "rsk_Bbb…2222", .oldExpiresAt: "2026-12-08T10:00:00Z"]
                ),
                [
                    "Chen Novak <chen.novak@example.com> rolled ci (rsk_Aaa…1111): replaced by rsk_Bbb…2222; the old key works until 2026-12-08 10:00 UTC"
                ]
            )
        case .webhookDisabled:
            (
                event(action, actor: .system, user: nil, [.endpoint: "tickets", .reason: "gone", .status: 410]),
                ["RoleSync disabled the webhook endpoint tickets: it answered 410 Gone"]
            )
        case .webhookEnabled:
            (event(action, user: nil, [.endpoint: "tickets", .previousReason: "gone"]), ["re-enabled the webhook endpoint tickets"])
        case .webhookReplayed:
            (
                event(action, user: nil, [.endpoint: "siem", .since: "2026-12-01T00:00:00Z"]),
                ["replayed the webhook endpoint siem's messages since 2026-12-01 00:00 UTC"]
            )
        case .webhookRetryRequested:
            (event(action, user: nil, [.endpoint: "siem", .eventID: 16]), ["asked for one more try of msg_16 to the webhook endpoint siem"])
        case .reviewCompleted:
            (
                event(
                    action,
                    user: nil,
                    [.reviewID: 3, .holders: 14, .kept: 12, .revoked: 2, .digest: .string("sha256:" + String(repeating: "ab", count: 32))]
                ),
                ["completed access review #3 of 14 admin role holders: 12 kept, 2 to revoke (rows sha256:abababababab…)"]
            )
        case .tokenCreated:
            (event(action, [.name: "old-token", .prefix: "rst_abc"]), ["created the admin API token old-token (rst_abc) for Chen Novak"])
        case .tokenRevoked:
            (event(action, [.name: "old-token", .prefix: "rst_abc"]), ["revoked the admin API token old-token (rst_abc) of Chen Novak"])
        }
    }

    @Test("Each action's sentence says what happened, to whom and by whom, with no JSON and no placeholder", arguments: AuditAction.allCases)
    func everyAction(_ action: AuditAction) {
        let (event, expected) = Self.sample(action)
        let text = AuditSentence(event, people: Self.people).text
        for words in expected { #expect(text.contains(words), "\(action.rawValue): \(text)") }
        #expect(!text.contains("{") && !text.contains("?") && !text.contains(action.rawValue), "\(text)")
    }

    @Test("An event with none of its details (written by an older version) still reads, naming its user", arguments: AuditAction.allCases)
    func bare(_ action: AuditAction) {
        let text = AuditSentence(AuditEvent(time: Self.time, actor: .cli, action: action, userID: Self.chen), people: Self.people).text
        #expect(!text.isEmpty && !text.contains("{"), "\(text)")
    }

    @Test("People the ledger no longer knows read as their id; a name-less person as their email; the page links every person")
    func people() {
        let event = Self.event(.keyRevoked, actor: .user(UserID(7)), [.name: "ci", .prefix: "rsk_x", .cause: "admin", .reason: "leaked"])
        let sentence = AuditSentence(event, people: [Self.chen: AuditPerson(name: nil, email: "chen@example.com")])
        #expect(sentence.text == "user 7 revoked ci (rsk_x) of chen@example.com: leaked")
        #expect(sentence.parts.first == .user(UserID(7), nil))
        #expect(AuditSentence.people(in: [event]) == [UserID(7), Self.chen])
    }

    @Test("A key the owner revokes or rolls is theirs; a stale key says when it was last used")
    func selfAndStale() {
        let own = Self.event(.keyRevoked, actor: .user(Self.chen), [.name: "ci", .prefix: "rsk_x", .cause: "owner", .reason: .null])
        #expect(AuditSentence(own, people: Self.people).text == "Chen Novak <chen.novak@example.com> revoked ci (rsk_x)")
        let stale = Self.event(
            .keyRevoked,
            actor: .system,
            [.name: "ci", .prefix: "rsk_x", .cause: "stale", .lastUsedAt: "2026-08-01T09:30:00Z", .reason: "unused for 90 days"]
        )
        #expect(AuditSentence(stale, people: Self.people).text.hasSuffix("stale: last used 2026-08-01 09:30 UTC: unused for 90 days"))
        let never = Self.event(.keyRevoked, actor: .system, [.name: "ci", .prefix: "rsk_x", .cause: "stale", .lastUsedAt: .null])
        #expect(AuditSentence(never, people: Self.people).text.hasSuffix("stale: never used"))
    }
}
