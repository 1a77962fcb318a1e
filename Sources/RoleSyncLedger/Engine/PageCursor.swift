import Foundation
import RoleSyncJSON

/// The one keyset cursor of every listing on every engine: which listing it was made for, the last
/// row's sort value and its id, as base64url JSON. A cursor is refused
/// (``LedgerStoreError/invalidCursor``) unless it was made for the same listing, sort and order.
package struct PageCursor: Sendable, Hashable {
    /// A sort value as the engine compares it: text (the engine's collation applies), a number,
    /// a time in whole microseconds (PostgreSQL's precision), or "never" (a key never used).
    package enum Value: Sendable, Hashable {
        case text(String)
        case number(Double)
        case micros(Int64)
        case never
    }

    /// The listing, sort and order it was made for (`users:name:asc`).
    package var listing: String
    package var value: Value
    package var id: Int64

    package init(listing: String, value: Value, id: Int64) {
        self.listing = listing
        self.value = value
        self.id = id
    }

    /// The largest page a listing gives, and the audit log's.
    package static let maximumPage = 500
    package static let maximumAuditPage = 1_000

    /// A listing's page size: `limit` within 1 and `maximum`.
    package static func pageSize(_ limit: Int, maximum: Int = maximumPage) -> Int {
        max(1, min(limit, maximum))
    }

    /// The cursor of `text`, which must have been made for `listing`.
    /// - Throws: ``LedgerStoreError/invalidCursor``.
    package static func decode(_ text: String, for listing: String) throws -> PageCursor {
        guard text.utf8.count <= 1_024, let data = Base64URL.decode(text), let wire = try? JSONDecoder().decode(Wire.self, from: data),
            wire.sort == listing
        else { throw LedgerStoreError.invalidCursor }
        let value: Value
        switch (wire.text, wire.number, wire.micros, wire.never) {
        case (let text?, nil, nil, nil): value = .text(text)
        case (nil, let number?, nil, nil) where number.isFinite: value = .number(number)
        case (nil, nil, let micros?, nil): value = .micros(micros)
        case (nil, nil, nil, true?): value = .never
        default: throw LedgerStoreError.invalidCursor
        }
        return PageCursor(listing: listing, value: value, id: wire.id)
    }

    package var encoded: String {
        var wire = Wire(sort: listing, id: id)
        switch value {
        case .text(let text): wire.text = text
        case .number(let number): wire.number = number
        case .micros(let micros): wire.micros = micros
        case .never: wire.never = true
        }
        return Base64URL.encode((try? JSONEncoder().encode(wire)) ?? Data())
    }

    /// A page of `rows` (fetched one past `limit`) and the cursor after its last row, `nil` when no
    /// row follows.
    package static func page<Item>(
        _ rows: [(Item, Value)],
        limit: Int,
        listing: String,
        id: (Item) -> Int64
    ) -> (items: [Item], next: String?) {
        let items = rows.prefix(limit).map(\.0)
        guard rows.count > limit, let last = rows.prefix(limit).last else { return (items, nil) }
        return (items, PageCursor(listing: listing, value: last.1, id: id(last.0)).encoded)
    }

    private struct Wire: Codable {
        var sort: String
        var text: String?
        var number: Double?
        var micros: Int64?
        var never: Bool?
        var id: Int64
    }
}

extension UsersQuery {
    /// What a cursor of this listing was made for.
    package var listing: String { "users:" + sort.rawValue + ":" + order.rawValue }
}

extension KeysQuery {
    package var listing: String { "keys:" + sort.rawValue + ":" + order.rawValue }
}
