import Foundation
import RoleSyncBuildInfo
import RoleSyncLedger
import RoleSyncReports

/// What every dashboard page shows around its content: the title, the sidebar (only the sections the
/// caller may open), who is signed in, the form token, and a notice or an error.
struct Chrome: Sendable {
    struct NavItem: Sendable {
        var label: String
        var href: String
        var current: Bool
    }

    /// The sidebar's sections.
    enum Section: String, Sendable, CaseIterable {
        case users, keys, audit, reviews, mapping, directory, events, console

        var label: String {
            switch self {
            case .users: "Users"
            case .keys: "API Keys"
            case .audit: "Audit"
            case .reviews: "Access review"
            case .mapping: "Mapping"
            case .directory: "Directory"
            case .events: "Events"
            case .console: "Console"
            }
        }

        var href: String {
            switch self {
            case .users: "/admin/users"
            case .keys: "/admin/keys"
            case .audit: "/admin/audit"
            case .reviews: "/admin/reviews"
            case .mapping: "/admin/mapping"
            case .directory: "/admin/directory"
            case .events: "/admin/events"
            case .console: "/console/keys"
            }
        }

        /// What the caller needs to see the section in the sidebar (`nil`: everyone signed in).
        var permission: AdminPermission? {
            switch self {
            case .users: .readUsers
            case .keys: .readKeys
            case .audit: .readAudit
            case .reviews: .readUsers
            case .mapping: .readMappings
            case .directory: .readDirectory
            case .events: .readWebhooks
            case .console: nil
            }
        }
    }

    var title: String
    var nav: [NavItem]
    var userLabel: String
    var csrf: String
    var notice: String?
    var error: String?
    var css = StaticAsset.styleSheet.href
    var js = StaticAsset.script.href
    /// `RoleSync 1.0.0 · 0123456789ab`: what runs, at the foot of the sidebar.
    var build = "RoleSync \(BuildInfo.version) · \(BuildInfo.commit)"

    init(title: String, section: Section?, caller: Caller, formToken: String, notice: String? = nil, error: String? = nil) {
        self.title = title
        let permissions = caller.permissions
        nav = Section.allCases
            .filter { $0.permission.map(permissions.contains) ?? true }
            .map { NavItem(label: $0.label, href: $0.href, current: $0 == section) }
        userLabel = "\(caller.user.name ?? caller.user.email ?? "user \(caller.user.id)") · \(caller.user.role.rawValue)"
        csrf = formToken
        self.notice = notice
        self.error = error
    }
}

/// A choice of a `<select>`.
struct Option: Sendable {
    var value: String
    var label: String
    var selected: Bool

    /// `values` as options, with `selected` chosen.
    static func list(_ values: [String], selected: String?, label: (String) -> String = { $0 }) -> [Option] {
        values.map { Option(value: $0, label: label($0), selected: $0 == selected) }
    }
}

/// A column header, sortable when it has an `href`; `ariaSort` is set on the column the rows are
/// sorted by.
struct Column: Sendable {
    var label: String
    var href: String?
    var ariaSort: String?
}

/// Links to the first and the next page of a keyset-paged listing.
struct Pager: Sendable {
    var first: String?
    var next: String?
    var summary: String

    /// `Showing 50 users, more on the next page`.
    static func summary(count: Int, more: Bool, noun: String) -> String {
        let shown = count == 1 ? "1 \(noun)" : "\(count) \(noun)s"
        return "Showing \(shown)" + (more ? ", more on the next page" : "")
    }
}

/// A page's own URL with some query parameters: the listing's filters, in a stable order, empty
/// ones left out.
struct PageURL: Sendable {
    var path: String
    var parameters: [(String, String?)]

    init(_ path: String, _ parameters: [(String, String?)]) {
        self.path = path
        self.parameters = parameters
    }

    /// The URL with `changes` applied (a `nil` value removes the parameter).
    func with(_ changes: [(String, String?)]) -> String {
        var parameters = self.parameters
        for (name, value) in changes {
            if let index = parameters.firstIndex(where: { $0.0 == name }) {
                parameters[index].1 = value
            } else {
                parameters.append((name, value))
            }
        }
        var components = URLComponents()
        components.path = path
        let items = parameters.compactMap { name, value in value.flatMap { $0.isEmpty ? nil : URLQueryItem(name: name, value: $0) } }
        components.queryItems = items.isEmpty ? nil : items
        // URLComponents leaves `+` as it is, which a form decoder reads as a space.
        return (components.string ?? path).replacingOccurrences(of: "+", with: "%2B")
    }

    var string: String { with([]) }
}

/// A listing's downloads: the page's own URL, filters and all, with `format=csv` or `jsonl`
/// (every matching row, not the page shown).
struct ExportLinks: Sendable {
    var csv: String
    var jsonl: String

    init(_ url: PageURL) {
        csv = url.with([("format", ExportFormat.csv.rawValue)])
        jsonl = url.with([("format", ExportFormat.jsonl.rawValue)])
    }
}

/// Times as the dashboard shows them: `2026-11-30 14:05 UTC`, with the RFC 3339 time for `<time>`.
struct PageTime: Sendable {
    var text: String
    var iso: String

    init(_ date: Date) {
        iso = Timestamp.format(date)
        text = iso.prefix(10) + " " + iso.dropFirst(11).prefix(5) + " UTC"
    }

    static func optional(_ date: Date?) -> PageTime? { date.map(PageTime.init) }
}
