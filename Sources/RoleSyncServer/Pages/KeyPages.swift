import Foundation
import RoleSyncLedger
import RoleSyncReports

/// `/admin/keys`: every key on the platform, with filters, sorting and paging.
struct KeysPageModel: Sendable {
    struct Filters: Sendable {
        var q: String
        var statuses: [Option]
        var owners: [Option]
        var sorts: [Option]
        var orders: [Option]
    }

    struct Results: Sendable {
        var columns: [Column]
        var rows: [KeyRow]
        var pager: Pager
        var exports: ExportLinks
    }

    var chrome: Chrome
    var filters: Filters
    var results: Results
    /// How many active keys are stale, with the link that lists them (`keys.stale_after`).
    var stale: StaleSummary?

    struct StaleSummary: Sendable {
        var count: Int
        var noun: String
        var after: String
        var href: String
    }

    static let columns: [(String, KeysQuery.Sort?)] = [
        ("Key Name", .name), ("Owner", .owner), ("Key Prefix", nil), ("Created", .created), ("Last Used", .lastUsed), ("Status", nil),
    ]

    static func sortLabel(_ sort: KeysQuery.Sort) -> String {
        switch sort {
        case .created: "Created"
        case .lastUsed: "Last Used"
        case .name: "Key Name"
        case .owner: "Owner"
        }
    }

    /// - Parameter anyStatus: the status filter says `any` (rather than nothing, which the hygiene
    ///   view reads as active keys).
    init(
        chrome: Chrome,
        query: KeysQuery,
        anyStatus: Bool = false,
        page: KeysPage,
        owners: [KeyOwner],
        policy: KeyPolicy,
        staleCount: Int?,
        at time: Date
    ) {
        self.chrome = chrome
        let statusParameter = query.statusParameter ?? (anyStatus ? AdminInput.anyStatus : nil)
        var statuses = APIKeyStatus.allCases.map(\.rawValue)
        if policy.staleAfter != nil { statuses.append(KeysQuery.staleStatus) }
        if policy.maxLifetime != nil { statuses.append(KeysQuery.overMaxLifetimeStatus) }
        if let count = staleCount, let after = policy.staleAfter {
            stale = StaleSummary(
                count: count,
                noun: count == 1 ? "key" : "keys",
                after: KeyPolicy.words(after),
                href: "/admin/keys?status=stale&sort=last_used&order=asc"
            )
        }
        let staleBefore = policy.staleAfter.map { time.addingTimeInterval(-$0) }
        filters = Filters(
            q: query.search ?? "",
            statuses: Option.list(statuses, selected: statusParameter) { $0 == KeysQuery.overMaxLifetimeStatus ? "over max lifetime" : $0 },
            owners: owners.map { owner in
                Option(
                    value: "\(owner.id)",
                    label: owner.email ?? owner.name ?? "user \(owner.id)",
                    selected: owner.id == query.ownerID
                )
            },
            sorts: KeysQuery.Sort.allCases.map { Option(value: $0.rawValue, label: Self.sortLabel($0), selected: $0 == query.sort) },
            orders: [
                Option(value: UsersQuery.Order.descending.rawValue, label: "Newest or most recent first", selected: query.order == .descending),
                Option(value: UsersQuery.Order.ascending.rawValue, label: "Oldest or least recent first", selected: query.order == .ascending),
            ]
        )
        let url = PageURL(
            "/admin/keys",
            [
                ("q", query.search), ("status", statusParameter), ("owner", query.ownerID.map { "\($0)" }),
                ("purpose", query.purpose?.rawValue), ("sort", query.sort.rawValue), ("order", query.order.rawValue),
            ]
        )
        results = Results(
            columns: Self.columns.map { label, sort in sortColumn(label, sort: sort, current: query.sort, order: query.order, url: url) },
            rows: page.keys.map { KeyRow($0, at: time, staleBefore: staleBefore) },
            pager: Pager(
                first: query.cursor == nil ? nil : url.string,
                next: page.nextCursor.map { url.with([("cursor", $0)]) },
                summary: Pager.summary(count: page.keys.count, more: page.nextCursor != nil, noun: "key")
            ),
            exports: ExportLinks(url),
        )
    }
}

/// One row of the keys table.
struct KeyRow: Sendable {
    var id: Int64
    var href: String
    var name: String
    var isAdminKey: Bool
    var ownerHref: String
    var ownerLabel: String
    var prefix: String
    var created: PageTime
    var lastUsed: PageTime?
    var status: String
    /// Active and unused since `keys.stale_after`.
    var isStale: Bool
    /// Not revoked yet: the row can be chosen for Revoke selected.
    var isRevocable: Bool

    init(_ owned: OwnedKey, at time: Date, staleBefore: Date? = nil) {
        let key = owned.key
        id = key.id
        href = "/admin/keys/\(key.id)"
        name = key.name
        isAdminKey = key.purpose == .admin
        ownerHref = "/admin/users/\(owned.owner.id)"
        ownerLabel = owned.owner.email ?? owned.owner.name ?? "user \(owned.owner.id)"
        prefix = key.prefix
        created = PageTime(key.createdAt)
        lastUsed = PageTime.optional(key.lastUsedAt)
        status = key.status(at: time).rawValue
        isStale = key.status(at: time) == .active && staleBefore.map { key.lastActivity < $0 } ?? false
        isRevocable = key.revokedAt == nil
    }
}

/// `/admin/keys/revoke`: the keys chosen on API Keys, before they are revoked in one transaction.
struct BulkRevocationModel: Sendable {
    struct Content: Sendable {
        var lead: String
        /// The chosen keys already revoked, left out.
        var leftOut: String?
        var rows: [KeyRow]
        var ids: [Int64]
        var reason: String
        var button: String
        var cancelHref: String
    }

    var chrome: Chrome
    var revocation: Content

    init(chrome: Chrome, keys: [OwnedKey], leftOut: [OwnedKey], reason: String, at time: Date) {
        self.chrome = chrome
        let count = keys.count == 1 ? "1 key" : "\(keys.count) keys"
        revocation = Content(
            lead: "These \(count) stop working at once, on every gateway, in one transaction: all of them or, if one cannot be revoked, none. "
                + "Each revocation is audited (key.revoked) with you as the actor, its owner and your reason. There is no un-revoke.",
            leftOut: leftOut.isEmpty
                ? nil
                : "Left out, already revoked: " + leftOut.map { "\($0.key.name) (\($0.key.prefix))" }.joined(separator: ", ") + ".",
            rows: keys.map { KeyRow($0, at: time) },
            ids: keys.map(\.key.id),
            reason: reason,
            button: "Revoke \(count)",
            cancelHref: "/admin/keys?sort=last_used&order=asc"
        )
    }
}

/// `/admin/keys/{id}`: the key, its owner, and its usage drawn as bars.
struct KeyPageModel: Sendable {
    struct Detail: Sendable {
        var href: String
        var name: String
        var ownerHref: String
        var ownerLabel: String
        var ownerEmail: String
        var ownerRole: String
        var ownerStatus: String
        var prefix: String
        var purpose: String
        var created: PageTime
        var expires: PageTime?
        var lastUsed: PageTime?
        var status: String
        var isActive: Bool
        var revocation: String?
        var isRollable: Bool
        var rolledFrom: RollLink?
        var rolledTo: RollLink?
        var chart: UsageChart
    }

    /// The other key of a roll, and what the operator needs to know about the roll.
    struct RollLink: Sendable {
        var href: String
        var label: String
        var note: String?
    }

    var chrome: Chrome
    var key: Detail
    /// A key just made by a roll: its value, shown this once.
    var created: ConsoleKeysModel.Created?

    init(chrome: Chrome, owned: OwnedKey, usage: [KeyUsageDay], at time: Date, created: ConsoleKeysModel.Created? = nil) {
        self.chrome = chrome
        self.created = created
        let key = owned.key
        let status = key.status(at: time)
        var revocation: String?
        if status == .revoked {
            revocation = [
                key.revokedAt.map { PageTime($0).text },
                key.revokedBy.map { "by \($0)" },
                key.revocationCause.map { "cause \($0.rawValue)" },
                key.revocationReason.map { "“\($0)”" },
            ].compactMap { $0 }.joined(separator: ", ")
        }
        self.key = Detail(
            href: "/admin/keys/\(key.id)",
            name: key.name,
            ownerHref: "/admin/users/\(owned.owner.id)",
            ownerLabel: owned.owner.name ?? owned.owner.email ?? "user \(owned.owner.id)",
            ownerEmail: owned.owner.email ?? "no email",
            ownerRole: owned.owner.role.rawValue,
            ownerStatus: owned.owner.status.rawValue,
            prefix: key.prefix,
            purpose: key.purpose.rawValue,
            created: PageTime(key.createdAt),
            expires: PageTime.optional(key.expiresAt),
            lastUsed: PageTime.optional(key.lastUsedAt),
            status: status.rawValue,
            isActive: status == .active,
            revocation: revocation,
            isRollable: status == .active && key.rolledTo == nil,
            rolledFrom: key.rolledFrom.map { RollLink(href: "/admin/keys/\($0)", label: "key \($0)", note: nil) },
            rolledTo: key.rolledTo.map { next in
                RollLink(href: "/admin/keys/\(next)", label: "key \(next)", note: Self.rollNote(key))
            },
            chart: UsageChart(usage)
        )
    }

    /// When the key was rolled and whether callers still use it: what tells the operator that the
    /// last caller moved over.
    static func rollNote(_ key: APIKey) -> String {
        var note = key.rolledAt.map { "on \(PageTime($0).text); " } ?? ""
        switch key.usedSinceRoll {
        case true?: note += "still used since the roll (last " + (key.lastUsedAt.map { PageTime($0).text } ?? "") + "): a caller has not moved over"
        default: note += "not used since the roll"
        }
        return note
    }
}

/// Requests per day as an SVG bar chart, drawn on the server: one bar per day, scaled to the
/// busiest day. Coordinates are whole numbers in a 720 × 160 view box.
struct UsageChart: Sendable {
    struct Bar: Sendable {
        var x: Int
        var y: Int
        var width: Int
        var height: Int
        var label: String
    }

    struct Day: Sendable {
        var day: String
        var requests: Int
    }

    var width = 720
    var height = 160
    var plotTop = 8
    var plotBottom = 152
    var days: Int
    var total: Int
    var max: Int
    var firstDay: String
    var lastDay: String
    var bars: [Bar]
    /// Days with requests, newest first, for the table under the chart.
    var busyDays: [Day]
    var precision = Int(KeyUsageRecorder.flushInterval)

    init(_ usage: [KeyUsageDay]) {
        days = usage.count
        total = usage.reduce(0) { $0 + $1.requests }
        max = usage.map(\.requests).max() ?? 0
        firstDay = usage.first.map { KeyDetailReport.date(of: $0.day) } ?? ""
        lastDay = usage.last.map { KeyDetailReport.date(of: $0.day) } ?? ""
        let slot = usage.isEmpty ? width : width / usage.count
        let plot = plotBottom - plotTop
        let peak = Swift.max(max, 1)
        bars = usage.enumerated().map { index, day in
            // A day with requests is at least one unit tall, so it never disappears.
            let barHeight = day.requests == 0 ? 0 : Swift.max(1, day.requests * plot / peak)
            return Bar(
                x: index * slot + 1,
                y: 152 - barHeight,
                width: Swift.max(1, slot - 2),
                height: barHeight,
                label: "\(KeyDetailReport.date(of: day.day)): \(day.requests) request\(day.requests == 1 ? "" : "s")"
            )
        }
        busyDays = usage.reversed().filter { $0.requests > 0 }.map { Day(day: KeyDetailReport.date(of: $0.day), requests: $0.requests) }
    }
}

/// `/console/keys`: the signed-in developer's own keys, and a new key's value once.
struct ConsoleKeysModel: Sendable {
    struct Created: Sendable {
        var name: String
        var value: String
    }

    struct Line: Sendable {
        var id: Int64
        var name: String
        var prefix: String
        var created: PageTime
        var lastUsed: PageTime?
        var expires: PageTime?
        var status: String
        var isActive: Bool
        var isRollable: Bool
        /// "rolled to …" for a rolled key, "replaces …" for its replacement.
        var roll: String?
        /// Why a revoked key was revoked: by whom (the owner, an admin, the policy) and the reason.
        var revocation: String?
    }

    var chrome: Chrome
    var created: Created?
    var draftName: String
    var lifetimes: [Option]
    var keys: [Line]

    /// The lifetimes the form offers (`expires_in` values).
    static let lifetimes: [(String, String)] = [("", "Never"), ("30d", "In 30 days"), ("90d", "In 90 days"), ("365d", "In a year")]

    init(chrome: Chrome, keys: [APIKey], created: Created? = nil, draftName: String = "", lifetime: String = "", at time: Date) {
        self.chrome = chrome
        self.created = created
        self.draftName = draftName
        lifetimes = Self.lifetimes.map { Option(value: $0.0, label: $0.1, selected: $0.0 == lifetime) }
        self.keys = keys.map { key in
            let status = key.status(at: time)
            return Line(
                id: key.id,
                name: key.name,
                prefix: key.prefix,
                created: PageTime(key.createdAt),
                lastUsed: PageTime.optional(key.lastUsedAt),
                expires: PageTime.optional(key.expiresAt),
                status: status.rawValue,
                isActive: status == .active,
                isRollable: status == .active && key.rolledTo == nil,
                roll: Self.rollSummary(key, among: keys),
                revocation: status == .revoked ? Self.revocationSummary(key) : nil
            )
        }
    }

    /// Why the key was revoked, in the owner's words.
    static func revocationSummary(_ key: APIKey) -> String {
        let who =
            switch key.revocationCause {
            case .owner?: "by you"
            case .admin?: "by an admin"
            case .offboarding?: "when your account was offboarded"
            case .deactivation?: "when your account was deactivated"
            case .stale?: "by the key policy: " + (key.lastUsedAt.map { "last used \(PageTime($0).text)" } ?? "never used")
            case nil: ""
            }
        return [who, key.revocationReason].compactMap { $0?.isEmpty == false ? $0 : nil }.joined(separator: "; ")
    }

    /// A key's place in a roll, in the owner's words: the prefix of the other key.
    static func rollSummary(_ key: APIKey, among keys: [APIKey]) -> String? {
        func prefix(_ id: Int64) -> String { keys.first { $0.id == id }?.prefix ?? "key \(id)" }
        if let next = key.rolledTo {
            return "rolled to \(prefix(next))" + (key.usedSinceRoll == true ? "; still used since the roll" : "; not used since the roll")
        }
        return key.rolledFrom.map { "replaces \(prefix($0))" }
    }
}

/// A confirmation before an action that cannot be undone (offboard, deactivate, revoke): what will
/// happen, a reason, and the button.
struct ConfirmModel: Sendable {
    struct Content: Sendable {
        var lead: String
        var consequences: [String]
        var action: String
        var askReason: Bool
        var reasonRequired: Bool
        var reasonHelp: String
        var reason: String
        var button: String
        var cancelHref: String
        /// A choice the action takes (a rolled key's overlap), as a select; none when empty.
        var choice: Choice? = nil
        /// Whether the button warns (it ends something) or is the page's main action.
        var buttonClass = "danger"
    }

    struct Choice: Sendable {
        var name: String
        var label: String
        var help: String
        var options: [Option]
    }

    var chrome: Chrome
    var confirm: Content
}
