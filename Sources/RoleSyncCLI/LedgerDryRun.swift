import ArgumentParser
import Foundation
import RoleSyncConfig
import RoleSyncLedger
import RoleSyncMapping

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
        let ledger = try store.open()
        let current = ledger.service.mappings.current
        let replaced = Set(candidateFiles.set.mappings.map(\.issuer))
        let candidate = MappingSet.build(current.mappings.filter { !replaced.contains($0.issuer) } + candidateFiles.set.mappings).set
        let plan = try await ledger.service.reevaluateAll(under: candidate)
        switch format {
        case .json:
            Output.line(try jsonText(PlanReport(plan)))
        case .human:
            Output.line("Dry run of \(mapping) over \(plural(plan.usersEvaluated, "user")) in \(database); nothing is written.")
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
            let counts = plan.counts
            let summary = ReevaluationPlan.Kind.allCases.map { "\(counts[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
            Output.line(
                "Summary: \(summary); \(plan.heldCount) held (would leave no active super_admin); "
                    + "\(plan.undetermined) undetermined (unknown claims, left as they are)"
            )
        }
    }
}

/// The dry-run plan in JSON.
struct PlanReport: Encodable {
    struct Change: Encodable {
        var userID: Int64
        var user: String
        var issuer: String
        var changes: [String]
        var role: [String: String]
        var covered: [String: Bool]
        var status: [String: String]
        var rule: String?
        var mapping: String?
        var held: Bool

        enum CodingKeys: String, CodingKey {
            case user, issuer, changes, role, covered, status, rule, mapping, held
            case userID = "user_id"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(userID, forKey: .userID)
            try c.encode(user, forKey: .user)
            try c.encode(issuer, forKey: .issuer)
            try c.encode(changes, forKey: .changes)
            try c.encode(role, forKey: .role)
            try c.encode(covered, forKey: .covered)
            try c.encode(status, forKey: .status)
            try c.encode(rule, forKey: .rule)
            try c.encode(mapping, forKey: .mapping)
            try c.encode(held, forKey: .held)
        }
    }

    var usersEvaluated: Int
    var undetermined: Int
    var held: Int
    var summary: [String: Int]
    var changes: [Change]

    init(_ plan: ReevaluationPlan) {
        usersEvaluated = plan.usersEvaluated
        undetermined = plan.undetermined
        held = plan.heldCount
        let counts = plan.counts
        summary = Dictionary(uniqueKeysWithValues: ReevaluationPlan.Kind.allCases.map { ($0.rawValue, counts[$0] ?? 0) })
        changes = plan.changes.map { c in
            Change(
                userID: c.userID.rawValue,
                user: c.user,
                issuer: c.issuer,
                changes: c.kinds.map(\.rawValue),
                role: ["from": c.fromRole.rawValue, "to": c.toRole.rawValue],
                covered: ["from": c.wasCovered, "to": c.isCovered],
                status: ["from": c.fromStatus.rawValue, "to": c.toStatus.rawValue],
                rule: c.rule,
                mapping: c.mappingFile,
                held: c.isHeld
            )
        }
    }

    enum CodingKeys: String, CodingKey {
        case undetermined, held, summary, changes
        case usersEvaluated = "users_evaluated"
    }
}
