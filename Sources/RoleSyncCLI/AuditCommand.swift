import ArgumentParser
import Foundation
import RoleSyncConfig
import RoleSyncLedger
import RoleSyncReports

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Read the append-only audit log, newest first."
    )

    @OptionGroup var store: StoreOptions

    @Option(help: "Only events about this user (id or email).")
    var user: String?

    @Option(help: ArgumentHelp("Only this action, e.g. user.role_changed or signin.refused.", valueName: "action"))
    var action: AuditAction?

    @Option(help: "Only events at or after this date or date-time (2026-11-27 or 2026-11-27T08:00:00Z).")
    var since: String?

    @Option(help: "Events per page (1–1000).")
    var limit: Int = 100

    @Option(help: "The next_cursor of the previous page.")
    var cursor: String?

    @Option(help: "Output format: human or json.")
    var format: OutputFormat = .human

    func validate() throws {
        guard (1...1_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 1000") }
        if let since { _ = try parseDate(since, option: "--since") }
    }

    func run() async throws {
        let ledger = try await store.open()
        var userID: UserID?
        if let user { userID = try await ledger.service.user(reference: user).id }
        let page: AuditPage
        do {
            page = try await ledger.store.auditEvents(
                matching: AuditQuery(
                    userID: userID,
                    action: action,
                    since: try since.map { try parseDate($0, option: "--since") },
                    limit: limit,
                    cursor: cursor
                )
            )
        } catch LedgerStoreError.invalidCursor {
            throw CLIError("--cursor: \(LedgerStoreError.invalidCursor)")
        }
        switch format {
        case .json:
            Output.line(try jsonText(PageReport(key: "events", items: page.events.map(AuditEventReport.init), nextCursor: page.nextCursor)))
        case .human:
            for event in page.events { Output.line(AuditEventReport.line(event)) }
            Output.line("\(plural(page.events.count, "event"))" + (page.nextCursor.map { "; next page: --cursor \($0)" } ?? ""))
        }
    }
}
