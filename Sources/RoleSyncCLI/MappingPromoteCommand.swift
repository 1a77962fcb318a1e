import ArgumentParser
import Foundation
import RoleSyncConfig
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncReports

#if canImport(Glibc)
import Glibc
#endif

/// `rolesync mapping promote`: the candidate mappings become the live ones.
struct MappingPromoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote",
        abstract: "Make the candidate (shadow) mappings live, after a dry run over every user and a confirmation.",
        discussion: """
            Prints what the candidates would change for every user in the ledger (their last claims), then asks for
            confirmation (`--yes` for scripts; without a terminal, --yes is required). Each candidate's text replaces the
            live file of its issuer (the old text is kept beside it as FILE.previous), one `mapping.promoted` audit event
            names both files, and the recorded shadow differences of those issuers are cleared. Running servers reload
            within 5 seconds, as on SIGHUP; users change at their next sign-in, reconciliation or push.
            """
    )

    @OptionGroup var store: StoreOptions

    @Flag(help: "Promote without asking.")
    var yes = false

    func run() async throws {
        guard try store.resolve().shadowPath != nil else {
            throw CLIError("no candidate mapping: set shadow: in the configuration (--config) or pass --shadow PATH")
        }
        let ledger = try await store.open()
        guard let candidates = ledger.mappings.shadow, !candidates.mappings.isEmpty else {
            throw CLIError("\(ledger.options.shadowPath ?? "shadow"): no candidate mapping to promote")
        }
        let live = ledger.mappings.live
        var pairs: [(live: String, liveName: String, candidate: String, candidateName: String, issuer: String)] = []
        for (mapping, path) in zip(candidates.mappings, candidates.paths) {
            guard let index = live.mappings.firstIndex(where: { $0.issuer == mapping.issuer }) else { continue }
            pairs.append((live.paths[index], live.mappings[index].file, path, mapping.file, mapping.issuer))
        }
        let plan = try await ledger.service.reevaluateAll(under: live.set.replacing(with: candidates.set))
        Output.line(
            "Dry run of promoting \(pairs.map { "\($0.candidateName) → \($0.liveName)" }.joined(separator: ", ")) over \(plural(plan.usersEvaluated, "user")):"
        )
        printPlan(plan)
        guard try confirm("Make the candidates live? Type 'yes' to promote: ") else {
            Output.line("Not promoted; nothing was changed.")
            throw ExitCode(1)
        }
        for pair in pairs {
            try Self.replace(pair.live, with: pair.candidate)
        }
        let counts = plan.counts
        let events = pairs.map { pair in
            AuditEvent(
                time: Date(),
                actor: .cli,
                action: .mappingPromoted,
                issuer: pair.issuer,
                details: [
                    .live: .string(pair.liveName), .candidate: .string(pair.candidateName),
                    .changes: .object(
                        Dictionary(
                            uniqueKeysWithValues: ReevaluationPlan.Kind.allCases.map { ($0.rawValue, ClaimValue.number(Double(counts[$0] ?? 0))) }
                        )
                    ),
                    .detail: .string("\(plural(plan.usersEvaluated, "user")) evaluated; \(plural(plan.changes.count, "user")) would change"),
                ]
            )
        }
        try await ledger.store.apply(LedgerChanges(audit: events))
        let cleared = try await ledger.store.clearShadowDifferences(issuers: pairs.map(\.issuer))
        for pair in pairs {
            Output.line("promoted \(pair.candidate) → \(pair.live) (the old text is in \(pair.live).previous)")
        }
        Output.line(
            "Recorded \(plural(events.count, "mapping.promoted event")); cleared \(plural(cleared, "shadow difference")). "
                + "Running servers reload within 5 seconds; users change at their next sign-in, reconciliation or push."
        )
    }

    /// Asks on the terminal; `--yes` answers for scripts, and without a terminal it is required.
    private func confirm(_ question: String) throws -> Bool {
        if yes { return true }
        guard isatty(STDIN_FILENO) == 1 else {
            throw CLIError("refusing to promote without confirmation: standard input is not a terminal; pass --yes")
        }
        FileHandle.standardOutput.write(Data(question.utf8))
        return readLine()?.trimmingCharacters(in: .whitespaces).lowercased() == "yes"
    }

    /// Replaces `live`'s text with `candidate`'s in one rename, keeping the old text as `live.previous`.
    static func replace(_ live: String, with candidate: String) throws {
        let manager = FileManager.default
        let text: Data
        do {
            text = try Data(contentsOf: URL(fileURLWithPath: candidate))
        } catch {
            throw CLIError("\(candidate): cannot read the candidate (\(describe(error)))")
        }
        let previous = live + ".previous"
        let staged = live + ".promoting"
        do {
            if manager.fileExists(atPath: previous) { try manager.removeItem(atPath: previous) }
            try manager.copyItem(atPath: live, toPath: previous)
            try text.write(to: URL(fileURLWithPath: staged))
            guard rename(staged, live) == 0 else { throw CLIError(String(cString: strerror(errno))) }
        } catch {
            try? manager.removeItem(atPath: staged)
            throw CLIError("\(live): cannot replace the live mapping (\(describe(error))); it is unchanged")
        }
    }
}
