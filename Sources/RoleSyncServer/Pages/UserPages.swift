import Foundation
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncReports

/// `/admin/users`: the filters, the table and its pager.
struct UsersPageModel: Sendable {
    struct Filters: Sendable {
        var q: String
        var roles: [Option]
        var statuses: [Option]
        var sort: String
        var order: String
    }

    struct Results: Sendable {
        var columns: [Column]
        var rows: [UserRow]
        var pager: Pager
        var exports: ExportLinks
    }

    var chrome: Chrome
    var filters: Filters
    var results: Results

    /// The sortable columns and the sort each one asks for.
    static let columns: [(String, UsersQuery.Sort?)] = [
        ("Name", .name), ("Email", .email), ("Role", .role), ("Organization Unit", nil), ("Last Sign-In", .lastSignIn), ("Status", nil),
    ]

    init(chrome: Chrome, query: UsersQuery, page: UsersPage, mappings: MappingSet) {
        self.chrome = chrome
        filters = Filters(
            q: query.search ?? "",
            roles: Option.list(Role.allCases.map(\.rawValue), selected: query.role?.rawValue),
            statuses: Option.list(UserStatus.allCases.map(\.rawValue), selected: query.status?.rawValue),
            sort: query.sort.rawValue,
            order: query.order.rawValue
        )
        let url = PageURL(
            "/admin/users",
            [
                ("q", query.search), ("role", query.role?.rawValue), ("status", query.status?.rawValue), ("sort", query.sort.rawValue),
                ("order", query.order.rawValue),
            ]
        )
        results = Results(
            columns: Self.columns.map { label, sort in
                sortColumn(label, sort: sort, current: query.sort, order: query.order, url: url)
            },
            rows: page.users.map { UserRow($0, Eligibility(of: $0, under: mappings)) },
            pager: Pager(
                first: query.cursor == nil ? nil : url.string,
                next: page.nextCursor.map { url.with([("cursor", $0)]) },
                summary: Pager.summary(count: page.users.count, more: page.nextCursor != nil, noun: "user")
            ),
            exports: ExportLinks(url),
        )
    }

}

/// A sortable column header: its link sorts by `sort`, ascending first, or the other way when the
/// rows are already sorted by it.
func sortColumn<Sort: RawRepresentable & Equatable>(
    _ label: String,
    sort: Sort?,
    current: Sort,
    order: UsersQuery.Order,
    url: PageURL
) -> Column where Sort.RawValue == String {
    guard let sort else { return Column(label: label) }
    let isCurrent = sort == current
    let next: UsersQuery.Order = isCurrent && order == .ascending ? .descending : .ascending
    return Column(
        label: label,
        href: url.with([("sort", sort.rawValue), ("order", next.rawValue), ("cursor", nil)]),
        ariaSort: isCurrent ? (order == .ascending ? "ascending" : "descending") : nil
    )
}

/// One row of the users table.
struct UserRow: Sendable {
    var id: Int64
    var href: String
    var name: String
    var email: String
    var role: String
    var managedByIdP: Bool
    var managedTitle: String
    var organizationUnit: String
    var lastSignIn: PageTime?
    var status: String
    /// When a break-glass override in force ends.
    var overrideUntil: PageTime?

    init(_ user: User, _ eligibility: Eligibility) {
        id = user.id.rawValue
        href = "/admin/users/\(user.id)"
        name = user.name ?? user.email ?? "user \(user.id)"
        email = user.email ?? ""
        role = user.role.rawValue
        managedByIdP = eligibility.isCovered
        managedTitle = RoleManagement(user, eligibility).sentence
        organizationUnit = user.organizationUnit ?? ""
        lastSignIn = PageTime.optional(user.lastSignInAt)
        status = user.status.rawValue
        overrideUntil = PageTime.optional(user.override?.until)
    }
}

/// Who manages a user's role, in a sentence for the page, and why a control is locked.
struct RoleManagement: Sendable {
    var sentence: String
    /// Set for covered users: why the role control is disabled and what to do instead.
    var lock: String?

    init(_ user: User, _ eligibility: Eligibility) {
        if eligibility.isCovered {
            let rule = eligibility.ruleID ?? "?"
            let file = eligibility.mappingFile ?? "?"
            sentence = "Role managed by the identity provider: rule ‘\(rule)’ in \(file)."
            lock =
                "The role is managed by the identity provider: rule ‘\(rule)’ in \(file) gives \(eligibility.mappedRole?.rawValue ?? user.role.rawValue). "
                + "To change it, change the user's groups in the identity provider; a manual edit here would be overridden at the next sign-in."
        } else if eligibility.hasNoMapping {
            sentence = "Role managed manually: no mapping governs this user's identity provider."
            lock = nil
        } else if !eligibility.isDetermined {
            sentence = "Role managed manually for now: the mapping cannot decide it from the claims last seen."
            lock = nil
        } else {
            sentence =
                user.roleSource == .manual
                ? "Role managed manually: set by an administrator; no rule of the mapping covers this user."
                : "Role managed manually: no rule of the mapping covers this user, who has the default role."
            lock = nil
        }
    }
}

/// `/admin/users/{id}` and its Activity tab.
struct UserPageModel: Sendable {
    struct Card: Sendable {
        var value: String
        var label: String
    }

    struct Refusal: Sendable {
        var time: PageTime
        var code: String
        var detail: String?
    }

    struct KeyLine: Sendable {
        var href: String
        var name: String
        var prefix: String
        var purpose: String
        var lastUsed: PageTime?
        var requests: Int
        var status: String
    }

    struct Detail: Sendable {
        var href: String
        var activityTab: Bool
        var name: String
        var email: String
        var role: String
        var organizationUnit: String
        var status: String
        var deactivation: String?
        var registered: PageTime
        var lastSignIn: PageTime?
        var issuer: String
        var subject: String
        var managedBy: String
        var locked: String?
        var roleOptions: [Option]
        var isActive: Bool
        var cards: [Card]
        var lastRefusal: Refusal?
        var keys: [KeyLine]
        var audit: AuditRowsModel?
        var breakGlass: BreakGlass?
    }

    /// The break-glass section: the override in force, and the controls a super_admin gets.
    struct BreakGlass: Sendable {
        struct Current: Sendable {
            var role: String
            var until: PageTime
            var reason: String
            var grantedBy: String
            var returning: String
        }

        var current: Current?
        /// The form to give one (a super_admin, an active covered user).
        var canGrant: Bool
        /// The button to end one (a super_admin).
        var canEnd: Bool
        var roleOptions: [Option]
        var durationOptions: [Option]
        var note: String?
    }

    var chrome: Chrome
    var detail: Detail

    /// What the Overview tab shows of a user's activity.
    struct Activity: Sendable {
        var activeSessions: Int
        var lastRefusal: AuditEvent?
        var keys: [APIKey]
        /// Requests over the last ``KeyService/usageDays`` days, by key id.
        var keyRequests: [Int64: Int]
    }

    /// - Parameter overrides: the caller may give and end overrides (a `super_admin`), up to this long.
    init(
        chrome: Chrome,
        user: User,
        eligibility: Eligibility,
        activity: Activity?,
        audit: AuditRowsModel?,
        at time: Date,
        overrides maxDuration: TimeInterval? = nil
    ) {
        self.chrome = chrome
        let management = RoleManagement(user, eligibility)
        var deactivation: String?
        if user.status == .inactive {
            deactivation = [user.deactivationReason?.rawValue, user.deactivationSource.map { "by \($0.rawValue)" }]
                .compactMap { $0 }.joined(separator: ", ")
        }
        let keys = activity?.keys ?? []
        let activeKeys = keys.filter { $0.status(at: time) == .active }.count
        let lastUsed = keys.compactMap(\.lastUsedAt).max()
        detail = Detail(
            href: "/admin/users/\(user.id)",
            activityTab: audit != nil,
            name: user.name ?? "–",
            email: user.email ?? "–",
            role: user.role.rawValue,
            organizationUnit: user.organizationUnit ?? "–",
            status: user.status.rawValue,
            deactivation: deactivation?.isEmpty == false ? deactivation : nil,
            registered: PageTime(user.registeredAt),
            lastSignIn: PageTime.optional(user.lastSignInAt),
            issuer: user.issuer,
            subject: user.subject,
            managedBy: management.sentence,
            locked: management.lock,
            roleOptions: Option.list(Role.allCases.map(\.rawValue), selected: user.role.rawValue),
            isActive: user.status == .active,
            cards: activity.map { activity in
                [
                    Card(value: "\(user.signInCount)", label: user.signInCount == 1 ? "sign-in" : "sign-ins"),
                    Card(value: "\(activity.activeSessions)", label: activity.activeSessions == 1 ? "active session" : "active sessions"),
                    Card(value: "\(activeKeys) of \(keys.count)", label: "API keys active"),
                    Card(value: "\(activity.keyRequests.values.reduce(0, +))", label: "key requests, \(KeyService.usageDays) days"),
                    Card(value: lastUsed.map { PageTime($0).text } ?? "never", label: "a key last used"),
                ]
            } ?? [],
            lastRefusal: activity?.lastRefusal.map { event in
                Refusal(
                    time: PageTime(event.time),
                    code: event.details[.reason]?.scalarText ?? event.action.rawValue,
                    detail: event.details[.detail]?.scalarText
                )
            },
            keys: keys.map { key in
                KeyLine(
                    href: "/admin/keys/\(key.id)",
                    name: key.name,
                    prefix: key.prefix,
                    purpose: key.purpose.rawValue,
                    lastUsed: PageTime.optional(key.lastUsedAt),
                    requests: activity?.keyRequests[key.id] ?? 0,
                    status: key.status(at: time).rawValue
                )
            },
            audit: audit,
            breakGlass: Self.breakGlass(user, eligibility, maxDuration: maxDuration)
        )
    }

    /// Shown for a covered user or one with an override; the controls only to a super_admin.
    static func breakGlass(_ user: User, _ eligibility: Eligibility, maxDuration: TimeInterval?) -> BreakGlass? {
        guard eligibility.isCovered || user.override != nil else { return nil }
        let current = user.override.map { override in
            BreakGlass.Current(
                role: override.role.rawValue,
                until: PageTime(override.until),
                reason: override.reason,
                grantedBy: override.grantedBy.description,
                returning: eligibility.mappedRole?.rawValue ?? override.previousRole.rawValue
            )
        }
        let canGrant = maxDuration != nil && user.status == .active && eligibility.isCovered
        var durations: [Option] = []
        if let maxDuration {
            let hours = [1.0, 2, 4, 8, 24, 72, 168].map { $0 * 3600 }.filter { $0 <= maxDuration }
            let choices = hours.contains(maxDuration) ? hours : hours + [maxDuration]
            durations = choices.map { seconds in
                Option(value: String(Int(seconds)), label: Self.hours(seconds), selected: seconds == min(3600, maxDuration))
            }
        }
        return BreakGlass(
            current: current,
            canGrant: canGrant,
            canEnd: maxDuration != nil && current != nil,
            roleOptions: Option.list(Role.allCases.map(\.rawValue).filter { $0 != user.role.rawValue || current != nil }, selected: nil),
            durationOptions: durations,
            note: maxDuration == nil ? "Only a super_admin may give or end a break-glass override." : nil
        )
    }

    /// `1 hour`, `8 hours`, `90 minutes`.
    static func hours(_ seconds: TimeInterval) -> String {
        let minutes = Int(seconds / 60)
        if minutes % 60 == 0 { return minutes == 60 ? "1 hour" : "\(minutes / 60) hours" }
        return "\(minutes) minutes"
    }
}

/// A table of audit events (the Audit page, a user's Activity tab) and its pager.
struct AuditRowsModel: Sendable {
    /// A piece of a sentence: words, a person (linked, with their email), or a name in code.
    struct Part: Sendable {
        var text: String
        var href: String?
        var email: String?
        var isCode: Bool
    }

    struct Row: Sendable {
        var id: String
        var time: PageTime
        var action: String
        var sentence: [Part]
        /// The sentence as plain text (the row's accessible summary and its search).
        var summary: String
        var actor: String
        var json: String
    }

    var tableID: String
    var rows: [Row]
    var pager: Pager
    /// The Audit page's downloads (not a user's activity tab's).
    var exports: ExportLinks?

    init(tableID: String, page: AuditPage, people: [UserID: AuditPerson], url: PageURL, isFirstPage: Bool, exports: ExportLinks? = nil) {
        self.tableID = tableID
        self.exports = exports
        rows = page.events.map { event in
            let sentence = AuditSentence(event, people: people)
            return Row(
                id: event.id.map { "event-\($0)" } ?? "",
                time: PageTime(event.time),
                action: event.action.rawValue,
                sentence: sentence.parts.map(Self.part),
                summary: sentence.text,
                actor: event.actor.description,
                json: ClaimValue.object(
                    [
                        "actor": .string(event.actor.description),
                        "user_id": event.userID.map { .number(Double($0.rawValue)) } ?? .null,
                        "subject": event.subject.map(ClaimValue.string) ?? .null,
                        "details": .object(event.detailsObject),
                    ]
                ).jsonText
            )
        }
        pager = Pager(
            first: isFirstPage ? nil : url.string,
            next: page.nextCursor.map { url.with([("cursor", $0)]) },
            summary: Pager.summary(count: page.events.count, more: page.nextCursor != nil, noun: "event")
        )
    }

    static func part(_ part: AuditSentence.Part) -> Part {
        switch part {
        case .text(let words): Part(text: words, isCode: false)
        case .code(let code): Part(text: code, isCode: true)
        case .user(let id, let person):
            Part(
                text: person?.name.flatMap { $0.isEmpty ? nil : $0 } ?? person?.email ?? "user \(id)",
                href: "/admin/users/\(id)",
                email: person?.name.flatMap { $0.isEmpty ? nil : $0 } == nil ? nil : person?.email,
                isCode: false
            )
        }
    }

    /// The people a page of events names, read in one query.
    static func people(of page: AuditPage, _ sync: SyncService) async throws -> [UserID: AuditPerson] {
        try await AuditPerson.people(in: page.events) { try await sync.users(ids: $0) }
    }
}
