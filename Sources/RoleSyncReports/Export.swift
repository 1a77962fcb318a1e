package import Foundation
import RoleSyncJSON
package import RoleSyncLedger

/// How a listing leaves RoleSync whole: every row its filters select, not one page.
package enum ExportFormat: String, Sendable, Hashable, CaseIterable, Codable {
    /// RFC 4180: UTF-8, a header row, CRLF line ends, a field quoted when it holds a comma, a quote
    /// or a line break; a field a spreadsheet would read as a formula is neutralised.
    case csv
    /// One JSON object per line (the admin API's item shape, keys sorted), LF line ends.
    case jsonl

    /// The `Content-Type` an answer in this format carries.
    package var contentType: String {
        switch self {
        case .csv: "text/csv; charset=utf-8; header=present"
        case .jsonl: "application/jsonl; charset=utf-8"
        }
    }
}

/// RFC 4180 fields and records, with spreadsheet formula injection neutralised (OWASP's CSV
/// injection advice): a field starting with `=`, `+`, `-`, `@`, a tab or a carriage return is
/// prefixed with `'`, so that Excel, LibreOffice and Google Sheets show it as text instead of
/// running it.
package enum CSV {
    /// One field as written: neutralised, then quoted if it must be.
    package static func field(_ text: String) -> String {
        var needsQuotes = false
        var formula = false
        for (index, byte) in text.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: ","), UInt8(ascii: "\""), UInt8(ascii: "\n"), UInt8(ascii: "\r"): needsQuotes = true
            default: break
            }
            if index == 0 {
                switch byte {
                case UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                    formula = true
                default: break
                }
            }
        }
        guard needsQuotes || formula else { return text }
        let neutral = formula ? "'" + text : text
        guard needsQuotes else { return neutral }
        return "\"" + neutral.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// One record: its fields joined by commas, ended by CRLF.
    package static func record(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }
}

/// One listing's export: its columns, how a row fills them, and how a row reads as JSON.
package struct ExportTable<Row: Sendable>: Sendable {
    /// The file name's subject: `users`, `keys`, `audit`.
    package var name: String
    package var columns: [String]
    package var cells: @Sendable (Row) -> [String]
    package var json: @Sendable (Row) -> any Encodable

    /// The text of a page of rows; with the header first for the first page of a CSV.
    package func text(_ rows: [Row], format: ExportFormat, header: Bool) throws -> String {
        var text = ""
        switch format {
        case .csv:
            if header { text += CSV.record(columns) }
            for row in rows { text += CSV.record(cells(row)) }
        case .jsonl:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            for row in rows { text += String(decoding: try encoder.encode(json(row)), as: UTF8.self) + "\n" }
        }
        return text
    }

    /// The file name an export of this table is saved as: `rolesync-users-20261207T161200Z.csv`.
    package func filename(_ format: ExportFormat, at time: Date) -> String {
        let stamp = Timestamp.format(time).filter { $0 != "-" && $0 != ":" }
        return "rolesync-\(name)-\(stamp).\(format.rawValue)"
    }
}

/// An export on its way: the listing read a page at a time (``pageSize`` rows), each page written
/// as soon as it is read (the next one read meanwhile), so that memory stays flat whatever the
/// number of rows.
package struct Export: Sendable {
    /// Rows read, and written, at a time.
    package static let pageSize = PageCursor.maximumPage

    package var format: ExportFormat
    package var filename: String
    private let run: @Sendable (ExportFormat, _ write: (String) async throws -> Void) async throws -> Void

    /// Reads every page `page` answers (given the previous page's cursor, `nil` first) and writes
    /// it through `table`.
    package init<Row: Sendable>(
        _ table: ExportTable<Row>,
        format: ExportFormat,
        at time: Date,
        page: @escaping @Sendable (String?) async throws -> ([Row], String?)
    ) {
        self.format = format
        filename = table.filename(format, at: time)
        run = { format, write in
            var (rows, cursor) = try await page(nil)
            var first = true
            while true {
                // The next page is read while this one is written: the database's reader and the
                // encoding run side by side, and at most two pages are held.
                let next = cursor.map { cursor in Task { try await page(cursor) } }
                do {
                    let text = try table.text(rows, format: format, header: first)
                    if !text.isEmpty { try await write(text) }
                } catch {
                    next?.cancel()
                    throw error
                }
                first = false
                guard let next else { return }
                (rows, cursor) = try await next.value
            }
        }
    }

    /// Writes the export, a page at a time: the header (CSV) first, even with no rows.
    package func write(_ write: (String) async throws -> Void) async throws {
        try await run(format, write)
    }
}

// MARK: The listings

extension Export {
    /// Every user `query` selects, in its order (its `limit` and `cursor` are set aside).
    package static func users(_ query: UsersQuery, format: ExportFormat, sync: SyncService, at time: Date) -> Export {
        Export(.users, format: format, at: time) { cursor in
            var query = query
            query.limit = pageSize
            query.cursor = cursor
            let page = try await sync.users(matching: query)
            return (page.users.map { UserReport($0, eligibility: sync.eligibility(of: $0)) }, page.nextCursor)
        }
    }

    /// Every key `query` selects, in its order, statuses as of `time`.
    package static func keys(_ query: KeysQuery, format: ExportFormat, keys: KeyService, at time: Date) -> Export {
        Export(.keys, format: format, at: time) { cursor in
            var query = query
            query.limit = pageSize
            query.cursor = cursor
            let page = try await keys.keys(matching: query)
            return (page.keys.map { KeyReport($0, at: time) }, page.nextCursor)
        }
    }

    /// Every event `query` selects, newest first, each with its sentence.
    package static func audit(_ query: AuditQuery, format: ExportFormat, sync: SyncService, at time: Date) -> Export {
        Export(.audit, format: format, at: time) { cursor in
            var query = query
            query.limit = pageSize
            query.cursor = cursor
            let page = try await sync.auditEvents(matching: query)
            let people = try await AuditPerson.people(in: page.events) { try await sync.users(ids: $0) }
            return (page.events.map { AuditExportRow(event: $0, sentence: AuditSentence($0, people: people).text) }, page.nextCursor)
        }
    }
}

/// An audit event as exported: the event, and the sentence the Audit page shows for it.
package struct AuditExportRow: Sendable {
    package var event: AuditEvent
    package var sentence: String
}

extension ExportTable where Row == UserReport {
    package static let users = ExportTable(
        name: "users",
        columns: [
            "id", "name", "email", "role", "role_managed_by", "mapping_file", "rule", "override_until", "status", "deactivation_reason",
            "organization_unit", "issuer", "subject", "registered_at", "last_sign_in_at", "sign_in_count",
        ],
        cells: { report in
            let user = report.user
            let managedBy = UserReport.RoleManagedBy(report.eligibility)
            return [
                "\(user.id.rawValue)", user.name ?? "", user.email ?? "", user.role.rawValue, managedBy.kind, managedBy.mappingFile ?? "",
                managedBy.rule ?? "", Timestamp.format(user.override?.until) ?? "", user.status.rawValue,
                user.deactivationReason?.rawValue ?? "", user.organizationUnit ?? "", user.issuer, user.subject,
                Timestamp.format(user.registeredAt), Timestamp.format(user.lastSignInAt) ?? "", "\(user.signInCount)",
            ]
        },
        json: { $0 }
    )
}

extension ExportTable where Row == KeyReport {
    package static let keys = ExportTable(
        name: "keys",
        columns: [
            "id", "name", "purpose", "prefix", "status", "owner_id", "owner_name", "owner_email", "created_at", "expires_at", "last_used_at",
            "revoked_at", "revoked_by", "revocation_reason", "rolled_from", "rolled_to",
        ],
        cells: { report in
            let key = report.key
            return [
                "\(key.id)", key.name, key.purpose.rawValue, key.prefix, key.status(at: report.time).rawValue, "\(report.owner.id.rawValue)",
                report.owner.name ?? "", report.owner.email ?? "", Timestamp.format(key.createdAt), Timestamp.format(key.expiresAt) ?? "",
                Timestamp.format(key.lastUsedAt) ?? "", Timestamp.format(key.revokedAt) ?? "", key.revokedBy?.description ?? "",
                key.revocationReason ?? "", key.rolledFrom.map { "\($0)" } ?? "", key.rolledTo.map { "\($0)" } ?? "",
            ]
        },
        json: { $0 }
    )
}

extension ExportTable where Row == AuditExportRow {
    package static let audit = ExportTable(
        name: "audit",
        columns: ["id", "time", "action", "actor", "user_id", "sentence", "details"],
        cells: { row in
            let event = row.event
            return [
                event.id.map { "\($0)" } ?? "", Timestamp.format(event.time), event.action.rawValue, event.actor.description,
                event.userID.map { "\($0.rawValue)" } ?? "", row.sentence, ClaimValue.object(event.detailsObject).jsonText,
            ]
        },
        json: { AuditEventReport($0.event, sentence: $0.sentence) }
    )
}
