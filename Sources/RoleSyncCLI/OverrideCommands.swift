import ArgumentParser
import Foundation
import RoleSyncConfig
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncReports

struct UsersOverrideCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "override",
        abstract: "Give a covered user a break-glass role until a deadline (at most override.max_duration, default 8h).",
        discussion: """
            The role holds over the mapped one for sign-ins, reconciliation and pushes until the deadline; then the mapped
            role returns, without waiting for a sign-in, when `serve` is running. Every step is audited. A new override
            replaces one in force. End one early with `rolesync users end-override`.
            """
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "The user's id or email.")
    var user: String

    @Option(help: ArgumentHelp("The role to hold meanwhile.", valueName: "role"))
    var role: Role

    @Option(name: .customLong("for"), help: ArgumentHelp("How long: 90m, 2h, or seconds.", valueName: "duration"))
    var duration: String?

    @Option(help: ArgumentHelp("Until when: an RFC 3339 time such as 2026-11-30T18:00:00Z.", valueName: "time"))
    var until: String?

    @Option(help: ArgumentHelp("Why, for the audit log (required).", valueName: "text"))
    var reason: String

    @Option(help: "Output format: human or json.")
    var format: OutputFormat = .human

    func validate() throws {
        switch (duration, until) {
        case (nil, nil): throw ValidationError("give --for (a duration) or --until (a time)")
        case (_?, _?): throw ValidationError("give --for or --until, not both")
        default: break
        }
        if let duration, (ServeConfiguration.seconds(duration) ?? 0) <= 0 {
            throw ValidationError("--for: '\(duration)' is not a duration (90m, 2h, or seconds)")
        }
    }

    func run() async throws {
        let deadline: OverrideDeadline
        if let until {
            deadline = .until(try parseDate(until, option: "--until"))
        } else {
            deadline = .duration(ServeConfiguration.seconds(duration ?? "") ?? 0)
        }
        let ledger = try await store.open()
        let found = try await ledger.service.user(reference: user)
        let updated = try await refusalsExit {
            try await ledger.service.grantOverride(role, of: found.id, until: deadline, reason: reason, by: .cli)
        }
        switch format {
        case .json:
            let report = UserDetailReport(try await ledger.service.detail(of: updated))
            Output.line(try jsonText(report))
        case .human:
            Output.line(
                "user \(updated.id) \(updated.displayName): role \(found.role) → \(updated.role) until "
                    + "\(Timestamp.format(updated.override?.until) ?? "?") (break-glass override; the mapped role returns then)"
            )
        }
    }
}

struct UsersEndOverrideCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "end-override",
        abstract: "End a break-glass override now: the mapped role returns."
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "The user's id or email.")
    var user: String

    @Option(help: ArgumentHelp("Why it ends early, for the audit log.", valueName: "text"))
    var reason: String?

    func run() async throws {
        let ledger = try await store.open()
        let found = try await ledger.service.user(reference: user)
        let updated = try await refusalsExit { try await ledger.service.endOverride(of: found.id, reason: reason, by: .cli) }
        Output.line("user \(updated.id) \(updated.displayName): override ended; role \(found.role) → \(updated.role)")
    }
}

struct MappingShadowReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shadow-report",
        abstract: "Who the candidate (shadow) mappings would change, and why, from real sign-ins, reconciliations and pushes.",
        discussion: """
            With `shadow:` in the serve configuration, every real sign-in, reconciliation and SCIM push also evaluates the
            candidate mapping of its issuer, with no effect on the ledger, and keeps each identity's latest disagreement
            for `shadow_retention` (default 14 days). This lists them, newest first. `rolesync mapping promote` makes the
            candidates live.
            """
    )

    @OptionGroup var store: StoreOptions

    @Option(help: ArgumentHelp("Only differences seen at or after this time (RFC 3339, or a date).", valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("Only this issuer's.", valueName: "url"))
    var issuer: String?

    @Option(help: ArgumentHelp("Only this kind: role, coverage, status or access.", valueName: "kind"))
    var kind: ShadowDifference.Kind?

    @Option(help: "At most this many differences (1–10000).")
    var limit: Int = 200

    @Option(help: "Output format: human or json.")
    var format: OutputFormat = .human

    func validate() throws {
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 10000") }
    }

    func run() async throws {
        let query = ShadowQuery(since: try since.map { try parseDate($0, option: "--since") }, issuer: issuer, kind: kind, limit: limit)
        let ledger = try await store.open()
        let page = try await ledger.store.shadowDifferences(matching: query)
        let report = ShadowReport(page, candidates: ledger.service.mappings.shadow, query: query)
        switch format {
        case .json:
            Output.line(try jsonText(report))
        case .human:
            if report.candidates.isEmpty {
                Output.line(
                    "No candidate mapping is configured here (shadow: in the configuration, or --shadow); differences recorded before are listed."
                )
            } else {
                Output.line("Candidates: " + report.candidates.map { "\($0.file) (\($0.issuer))" }.joined(separator: ", "))
            }
            if page.differences.isEmpty {
                Output.line("No difference recorded" + (since.map { " since \($0)" } ?? "") + ".")
                return
            }
            var table = [["USER", "VIA", "WOULD CHANGE", "LIVE RULE", "CANDIDATE RULE", "LAST SEEN", "TIMES"]]
            for d in page.differences {
                table.append([
                    d.user, d.via.rawValue, d.summary, d.live.rule.map { "\(d.live.file)#\($0)" } ?? "-",
                    d.candidate.rule.map { "\(d.candidate.file)#\($0)" } ?? "-", Timestamp.format(d.lastSeen), d.occurrences.description,
                ])
            }
            for line in formatTable(table) { Output.line(line) }
            let counts = ShadowDifference.Kind.allCases.map { "\(page.counts[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
            Output.line(
                "\(plural(page.total, "user")) would change (\(counts))"
                    + (page.total > page.differences.count ? "; the newest \(page.differences.count) shown (--limit)" : "")
            )
        }
    }
}
