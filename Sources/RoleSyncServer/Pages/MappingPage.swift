import Foundation
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncYAML

/// `/admin/mapping`: the loaded mappings, the candidate form, and a dry run's result.
struct MappingPageModel: Sendable {
    struct Rule: Sendable {
        var position: Int
        var id: String
        var role: String
    }

    struct Entry: Sendable {
        var issuer: String
        var file: String
        var unmatched: String
        var requireConditions: Int
        var deactivateRules: Int
        var tests: Int
        var rules: [Rule]
    }

    struct Problem: Sendable {
        var location: String
        var message: String
    }

    struct ProblemList: Sendable {
        var items: [Problem]
    }

    struct Count: Sendable {
        var value: String
        var label: String
    }

    struct Change: Sendable {
        var href: String
        var user: String
        var kinds: String
        var held: Bool
        var role: String
        var covered: String
        var status: String
        var why: String
    }

    struct Result: Sendable {
        var summary: String
        var counts: [Count]
        var changes: [Change]
        var truncated: String?
    }

    /// The shadow mappings' section: the candidates, and who they would change from real traffic.
    struct Shadow: Sendable {
        struct Row: Sendable {
            var href: String?
            var user: String
            var change: String
            var live: String
            var candidate: String
            var lastSeen: PageTime
            /// Where and how often: `in a sign-in, 3 times`.
            var seen: String
        }

        var candidates: [String]
        var summary: String
        var counts: [Count]
        var rows: [Row]
        var truncated: String?

        /// The most differences the page lists.
        static let shown = 100

        static func path(_ path: ShadowDifference.Path) -> String {
            switch path {
            case .signIn: "sign-in"
            case .reconcile: "reconciliation"
            case .push: "SCIM push"
            }
        }

        init(candidates: MappingSet?, page: ShadowPage) {
            self.candidates = (candidates?.mappings ?? []).map { "\($0.file) for \($0.issuer)" }
            summary =
                page.total == 0
                ? "No real sign-in, reconciliation or push has been decided differently by the candidate yet."
                : "\(page.total) user\(page.total == 1 ? "" : "s") would change, from real traffic; each row is the latest evaluation that differed."
            counts = ShadowDifference.Kind.allCases.map { Count(value: "\(page.counts[$0] ?? 0)", label: $0.rawValue) }
            rows = page.differences.map { d in
                Row(
                    href: d.userID.map { "/admin/users/\($0)" },
                    user: d.user,
                    change: d.summary,
                    live: d.live.rule.map { "‘\($0)’ in \(d.live.file)" } ?? (d.live.allowed ? "no rule" : "refused: \(d.live.refusal ?? "?")"),
                    candidate: d.candidate.rule.map { "‘\($0)’ in \(d.candidate.file)" }
                        ?? (d.candidate.allowed ? "no rule" : "refused: \(d.candidate.refusal ?? "?")"),
                    lastSeen: PageTime(d.lastSeen),
                    seen: "in a \(Self.path(d.via)), \(d.occurrences) time\(d.occurrences == 1 ? "" : "s")"
                )
            }
            truncated =
                page.total > page.differences.count
                ? "The newest \(page.differences.count) of \(page.total) are listed; `rolesync mapping shadow-report` and GET /api/admin/mapping/shadow list them all."
                : nil
        }
    }

    /// The most changes a page lists; the counts above the table are always whole.
    static let shownChanges = 500

    var chrome: Chrome
    var mappings: [Entry]
    var candidate: String
    var problemList: ProblemList?
    var result: Result?
    var shadow: Shadow?

    init(
        chrome: Chrome,
        mappings: MappingSet,
        candidate: String = "",
        problems: [Diagnostic] = [],
        plan: ReevaluationPlan? = nil,
        shadow: Shadow? = nil
    ) {
        self.chrome = chrome
        self.shadow = shadow
        self.mappings = mappings.mappings.map { mapping in
            Entry(
                issuer: mapping.issuer,
                file: mapping.file,
                unmatched: mapping.unmatched.rawValue,
                requireConditions: mapping.require.count,
                deactivateRules: mapping.deactivate.count,
                tests: mapping.tests.count,
                rules: mapping.roles.enumerated().map { Rule(position: $0 + 1, id: $1.id, role: $1.role.rawValue) }
            )
        }
        self.candidate = candidate
        problemList =
            problems.isEmpty
            ? nil
            : ProblemList(items: problems.map { Problem(location: "line \($0.location.line), column \($0.location.column)", message: $0.message) })
        result = plan.map(Self.result)
    }

    static func result(_ plan: ReevaluationPlan) -> Result {
        let counts = plan.counts
        var summary = "\(plan.usersEvaluated) user\(plan.usersEvaluated == 1 ? "" : "s") evaluated; \(plan.changes.count) would change."
        if plan.undetermined > 0 { summary += " \(plan.undetermined) could not be decided from the claims last seen and would keep their role." }
        if plan.heldCount > 0 { summary += " \(plan.heldCount) change(s) would be held: they would leave no active super_admin." }
        return Result(
            summary: summary,
            counts: ReevaluationPlan.Kind.allCases.map {
                Count(value: "\(counts[$0] ?? 0)", label: $0.rawValue.replacingOccurrences(of: "_", with: " "))
            },
            changes: plan.changes.prefix(shownChanges).map { change in
                Change(
                    href: "/admin/users/\(change.userID)",
                    user: change.user,
                    kinds: change.kinds.map { $0.rawValue.replacingOccurrences(of: "_", with: " ") }.joined(separator: ", "),
                    held: change.isHeld,
                    role: change.fromRole == change.toRole ? change.toRole.rawValue : "\(change.fromRole.rawValue) → \(change.toRole.rawValue)",
                    covered: change.wasCovered == change.isCovered
                        ? (change.isCovered ? "yes" : "no") : "\(change.wasCovered ? "yes" : "no") → \(change.isCovered ? "yes" : "no")",
                    status: change.fromStatus == change.toStatus
                        ? change.toStatus.rawValue : "\(change.fromStatus.rawValue) → \(change.toStatus.rawValue)",
                    why: change.deactivationCause.map { $0.replacingOccurrences(of: "_", with: " ") }
                        ?? change.rule.map { "rule ‘\($0)’ in \(change.mappingFile ?? "?")" } ?? "no rule matches"
                )
            },
            truncated: plan.changes.count > shownChanges
                ? "The first \(shownChanges) of \(plan.changes.count) changes are listed; `rolesync mapping dry-run` prints them all." : nil
        )
    }
}

/// The signed-in landing page and the sign-in choice (the bare layout).
struct HomeModel: Sendable {
    struct Provider: Sendable {
        var name: String
        var href: String
    }

    struct SignedIn: Sendable {
        var name: String
        var email: String
        var role: String
        var managedBy: String
        var isAdmin: Bool
    }

    var title: String
    var css = StaticAsset.styleSheet.href
    var intro: String
    var providers: [Provider]
    var user: SignedIn?
    var csrf: String
}

/// A refusal or an error as a page (the bare layout): what happened, the stable code, the request
/// id to quote, and a way back.
struct MessageModel: Sendable {
    var title: String
    var css = StaticAsset.styleSheet.href
    var message: String
    var code: String
    var requestID: String
    var backHref = "/"
    var backLabel = "Back to RoleSync"
}
