import ArgumentParser
import Foundation
import RoleSyncConfig
import RoleSyncLedger
import RoleSyncReports

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Read the append-only audit log: newest first, or as a stream (--follow, --after).",
        discussion: """
            Without --follow or --after: one page of events, newest first (--cursor for the next).

            As a stream, for log shippers: --after ID prints every event committed after event ID \
            (0: the whole log) in commit order, oldest first, then exits; --follow then keeps \
            printing each new event as it is committed (on PostgreSQL, by any replica), and \
            without --after starts at the events committed from now on. --format jsonl prints one \
            JSON object per line, the fields of GET /api/admin/audit (docs/events.md); resume a \
            stream with --after and the last id it printed.
            """
    )

    /// How events are printed.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case human
        case json
        /// One compact JSON object per line.
        case jsonl
        /// Every event the filters select, as `GET /api/admin/audit?format=csv` exports them.
        case csv
    }

    @OptionGroup var store: StoreOptions

    @Option(help: "Only events about this user (id or email).")
    var user: String?

    @Option(help: ArgumentHelp("Only this action, e.g. user.role_changed or signin.refused.", valueName: "action"))
    var action: AuditAction?

    @Option(help: "Only events at or after this date or date-time (2026-11-27 or 2026-11-27T08:00:00Z); not with a stream.")
    var since: String?

    @Option(help: "Events per page (1–1000, default 100); not with a stream.")
    var limit: Int?

    @Option(help: "The next_cursor of the previous page.")
    var cursor: String?

    @Flag(help: "Keep printing each new event as it is committed, oldest first, until stopped (Ctrl-C).")
    var follow = false

    @Option(help: ArgumentHelp("Print the events committed after this event id, oldest first (0: the whole log).", valueName: "id"))
    var after: Int64?

    @Option(help: ArgumentHelp("With --follow: seconds between looks for new events (0.1–60).", valueName: "seconds"))
    var poll: Double = 1

    @Option(
        help:
            "Output format: human (id, time, action and the event as a sentence), json (a page), jsonl (one event a line) or csv (every event the filters select, with its sentence)."
    )
    var format: Format = .human

    /// Whether the log is read as a stream rather than a page.
    var streams: Bool { follow || after != nil }

    func validate() throws {
        if let limit, !(1...1_000).contains(limit) { throw ValidationError("--limit must be between 1 and 1000") }
        if format == .csv {
            if streams { throw ValidationError("--format csv exports the log as it is now: leave out --follow and --after, or use --format jsonl") }
            if limit != nil || cursor != nil { throw ValidationError("--format csv has every matching event: leave out --limit and --cursor") }
        }
        if let since { _ = try parseDate(since, option: "--since") }
        if let after, after < 0 { throw ValidationError("--after must be an event id (0 or more)") }
        guard (0.1...60).contains(poll) else { throw ValidationError("--poll must be between 0.1 and 60 seconds") }
        if streams {
            let option = follow ? "--follow" : "--after"
            if format == .json { throw ValidationError("\(option) prints a stream: use --format jsonl (one event a line) or human") }
            if since != nil { throw ValidationError("\(option) reads in commit order: --since selects a page; resume a stream with --after ID") }
            if cursor != nil { throw ValidationError("\(option) reads in commit order: --cursor continues a page; resume a stream with --after ID") }
            if limit != nil { throw ValidationError("\(option) prints every event it reads: --limit sizes a page; filter with --action or --user") }
        }
    }

    func run() async throws {
        let ledger = try await store.open()
        var userID: UserID?
        if let user { userID = try await ledger.service.user(reference: user).id }
        if streams {
            try await stream(ledger.store, AuditQuery(userID: userID, action: action))
            return
        }
        let query = AuditQuery(
            userID: userID,
            action: action,
            since: try since.map { try parseDate($0, option: "--since") },
            limit: limit ?? 100,
            cursor: cursor
        )
        if format == .csv {
            try await Export.audit(query, format: .csv, sync: ledger.service, at: Date()).print()
            return
        }
        let page: AuditPage
        do {
            page = try await ledger.store.auditEvents(matching: query)
        } catch LedgerStoreError.invalidCursor {
            throw CLIError("--cursor: \(LedgerStoreError.invalidCursor)")
        }
        switch format {
        case .json, .csv:
            Output.line(try jsonText(PageReport(key: "events", items: page.events.map(AuditEventReport.init), nextCursor: page.nextCursor)))
        case .jsonl:
            for event in page.events { Output.line(try Self.jsonLine(event)) }
        case .human:
            for line in try await Self.sentences(page.events, ledger.store) { Output.line(line) }
            Output.line("\(plural(page.events.count, "event"))" + (page.nextCursor.map { "; next page: --cursor \($0)" } ?? ""))
        }
    }

    /// How many events a look reads at most.
    static let streamBatch = 500

    /// Prints the events after `--after` (or from now on), in the store's stream order, the ones
    /// `filter` selects; with `--follow`, looks again every `--poll` seconds, forever.
    func stream(_ ledger: any LedgerStore, _ filter: AuditQuery) async throws {
        var position: AuditStreamPosition
        switch after {
        case nil: position = try await ledger.auditStreamHead()
        case 0: position = .start
        case let id?:
            guard let found = try await ledger.auditStreamPosition(ofEvent: id) else {
                throw CLIError("--after: there is no audit event \(id) (rolesync audit lists the ids)")
            }
            position = found
        }
        while true {
            let batch = try await ledger.auditStream(after: position, limit: Self.streamBatch)
            let selected = batch.map(\.event).filter(filter.selects)
            if format == .jsonl {
                for event in selected { Output.line(try Self.jsonLine(event)) }
            } else {
                for line in try await Self.sentences(selected, ledger) { Output.line(line) }
            }
            if let last = batch.last { position = last.position }
            if batch.count == Self.streamBatch { continue }
            guard follow else { return }
            try await Task.sleep(for: .seconds(poll))
        }
    }

    /// Events for people, one line each: the id (for --after), the time, the action and the
    /// sentence the Audit page shows, naming people as `Name <email>` (read in one query).
    static func sentences(_ events: [AuditEvent], _ store: any LedgerStore) async throws -> [String] {
        guard !events.isEmpty else { return [] }
        let people = try await AuditPerson.people(in: events) { try await store.users(ids: $0.sorted { $0.rawValue < $1.rawValue }) }
        return events.map { event in
            [event.id.map(String.init) ?? "-", Timestamp.format(event.time), event.action.rawValue, AuditSentence(event, people: people).text]
                .joined(separator: "  ")
        }
    }

    /// One event as one line of JSON: the fields of `GET /api/admin/audit`, keys sorted.
    static func jsonLine(_ event: AuditEvent) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(AuditEventReport(event)), as: UTF8.self)
    }
}
