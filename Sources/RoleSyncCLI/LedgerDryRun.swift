import ArgumentParser
import Foundation
import RoleSyncConfig
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncReports

/// `rolesync mapping dry-run MAPPING --database FILE`: what a mapping change would do to every user.
struct LedgerDryRun {
    var mapping: String
    var database: String
    var mappings: String?
    var format: OutputFormat

    func run() async throws {
        guard FileManager.default.fileExists(atPath: database) else {
            throw CLIError("\(database): no such ledger (sign users in first, or check --database)")
        }
        let candidateFiles = try MappingFiles.load([mapping])
        if candidateFiles.errorCount > 0 {
            candidateFiles.printDiagnostics()
            throw ExitCode(1)
        }
        let store = StoreOptions(database: database, mappings: mappings)
        let ledger = try await store.open()
        let candidate = ledger.service.mappings.current.replacing(with: candidateFiles.set)
        let plan = try await ledger.service.reevaluateAll(under: candidate)
        switch format {
        case .json:
            Output.line(try jsonText(PlanReport(plan)))
        case .human:
            Output.line("Dry run of \(mapping) over \(plural(plan.usersEvaluated, "user")) in \(database); nothing is written.")
            printPlan(plan)
        }
    }
}

/// A re-evaluation plan as people read it: one row per user who would change, then the counts.
func printPlan(_ plan: ReevaluationPlan) {
    if plan.changes.isEmpty {
        Output.line("No user's role, coverage or status would change.")
    } else {
        var table = [["ID", "USER", "CHANGES", "ROLE", "COVERED", "STATUS", "RULE"]]
        func yesNo(_ b: Bool) -> String { b ? "yes" : "no" }
        for c in plan.changes {
            let kinds: String = c.kinds.map(\.rawValue).joined(separator: ",") + (c.isHeld ? " (HELD)" : "")
            let role: String = c.fromRole == c.toRole ? c.toRole.rawValue : "\(c.fromRole) → \(c.toRole)"
            let covered: String = c.wasCovered == c.isCovered ? yesNo(c.isCovered) : "\(yesNo(c.wasCovered)) → \(yesNo(c.isCovered))"
            let status: String = c.fromStatus == c.toStatus ? c.toStatus.rawValue : "\(c.fromStatus) → \(c.toStatus)"
            let rule: String = c.rule.map { "\(c.mappingFile ?? "?")#\($0)" } ?? "-"
            table.append([c.userID.description, c.user, kinds, role, covered, status, rule])
        }
        for line in formatTable(table) { Output.line(line) }
    }
    printOverridesKept(plan)
    let counts = plan.counts
    let summary = ReevaluationPlan.Kind.allCases.map { "\(counts[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
    Output.line(
        "Summary: \(summary); \(plan.heldCount) held (would leave no active super_admin); "
            + "\(plan.undetermined) undetermined (unknown claims, left as they are)"
    )
}

/// The users whose mapped role waits for their break-glass override to end: held, and said so.
func printOverridesKept(_ plan: ReevaluationPlan) {
    for kept in plan.overridesKept {
        let until = kept.overrideUntil.map { " until \(Timestamp.format($0))" } ?? ""
        Output.line("user \(kept.userID) \(kept.user): keeps \(kept.fromRole) under a break-glass override\(until) (mapped: \(kept.toRole))")
    }
}
