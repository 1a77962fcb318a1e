import ArgumentParser
import Foundation
import RoleSyncConfig
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncReports

struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "The user ledger: sign users in from claims, list, show and edit them.",
        discussion: """
            The command line acts as the machine's operator (actor `cli`, with super_admin's permissions), still bound
            by IdP ownership of roles and the last-super_admin guard. A refusal prints the reason on stderr and exits 1.
            """,
        subcommands: [
            UsersSignInCommand.self, UsersListCommand.self, UsersShowCommand.self, UsersSetRoleCommand.self,
            UsersDeactivateCommand.self, UsersReactivateCommand.self, UsersOffboardCommand.self, UsersOverrideCommand.self,
            UsersEndOverrideCommand.self,
        ]
    )
}

struct UsersSignInCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign-in",
        abstract: "Sign a user in from a claims file, through the same path as the login callback.",
        discussion: "Creates the user on first sign-in; later sign-ins refresh them and apply the IdP's role. Exits 1 when refused."
    )

    @OptionGroup var store: StoreOptions

    @Option(help: ArgumentHelp("The issuer (selects the mapping).", valueName: "iss"))
    var issuer: String

    @Option(help: ArgumentHelp("A JSON object of verified claims; '-' reads standard input.", valueName: "file"))
    var claims: String

    @Option(help: "Output format: human or json.")
    var format: OutputFormat = .human

    func run() async throws {
        let input = try readClaimsFile(claims)
        let ledger = try await store.open()
        let result = try await ledger.service.signIn(issuer: issuer, claims: input)
        // A candidate mapping's difference is written now: the command ends here.
        try await ledger.service.shadow?.flush()
        let user = result.user
        let eligibility = user.map { ledger.service.eligibility(of: $0) }
        switch format {
        case .json:
            struct Outcome: Encodable {
                var allowed: Bool
                var created: Bool
                var refusal: [String: String]?
                var user: UserReport?
                var events: [AuditEventReport]
            }
            Output.line(
                try jsonText(
                    Outcome(
                        allowed: result.isAllowed,
                        created: result.isCreated,
                        refusal: result.refusal.map { ["code": $0.code, "message": $0.description] },
                        user: user.flatMap { u in eligibility.map { UserReport(u, eligibility: $0) } },
                        events: result.events.map(AuditEventReport.init)
                    )
                )
            )
        case .human:
            if let user, let eligibility, result.isAllowed {
                Output.line("\(result.isCreated ? "created and signed in" : "signed in"): user \(user.id) \(user.displayName)")
                Output.line("  role: \(UserReport.roleLine(user, eligibility))")
            }
            for event in result.events {
                Output.line("  audit: \(event.action.rawValue) \(AuditEventReport.detailsText(event))")
            }
        }
        if let refusal = result.refusal {
            Output.error("rolesync: sign-in refused (\(refusal.code)): \(refusal)")
            throw ExitCode(1)
        }
    }
}

struct UsersListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List users, with their role and eligibility.")

    @OptionGroup var store: StoreOptions

    @Option(help: "Case-insensitive part of a name or email.")
    var search: String?

    @Option(help: ArgumentHelp("Only this role.", valueName: "role"))
    var role: Role?

    @Option(help: ArgumentHelp("Only active or inactive users.", valueName: "status"))
    var status: UserStatus?

    @Option(help: "Sort by name, email, role, last_sign_in or registered.")
    var sort: UsersQuery.Sort = .name

    @Option(help: "asc or desc.")
    var order: UsersQuery.Order = .ascending

    @Option(help: "Users per page (1–500).")
    var limit: Int = 50

    @Option(help: "The next_cursor of the previous page.")
    var cursor: String?

    @Option(help: ListFormat.help)
    var format: ListFormat = .human

    func validate() throws {
        if format.export != nil, cursor != nil {
            throw ValidationError("--cursor does not go with --format \(format.rawValue): an export has every matching user")
        }
        guard (1...500).contains(limit) else { throw ValidationError("--limit must be between 1 and 500") }
    }

    func run() async throws {
        let ledger = try await store.open()
        let query = UsersQuery(search: search, role: role, status: status, sort: sort, order: order, limit: limit, cursor: cursor)
        if let export = format.export {
            try await Export.users(query, format: export, sync: ledger.service, at: Date()).print()
            return
        }
        let page: UsersPage
        do {
            page = try await ledger.store.users(matching: query)
        } catch LedgerStoreError.invalidCursor {
            throw CLIError("--cursor: \(LedgerStoreError.invalidCursor)")
        }
        let rows = page.users.map { ($0, ledger.service.eligibility(of: $0)) }
        switch format {
        case .json, .csv, .jsonl:
            Output.line(try jsonText(PageReport(key: "users", items: rows.map { UserReport($0.0, eligibility: $0.1) }, nextCursor: page.nextCursor)))
        case .human:
            var table = [["ID", "EMAIL", "NAME", "ROLE", "SOURCE", "EDITABLE", "GOVERNED BY", "STATUS", "LAST SIGN-IN"]]
            for (user, eligibility) in rows {
                table.append([
                    user.id.description, user.email ?? "-", user.name ?? "-",
                    user.role.rawValue + (user.override.map { " (override until \(Timestamp.format($0.until)))" } ?? ""),
                    user.roleSource.rawValue,
                    eligibility.unloadedIssuer != nil ? "unknown" : eligibility.isManualRoleEditable ? "yes" : "no",
                    eligibility.isCovered
                        ? "\(eligibility.mappingFile ?? "?")#\(eligibility.ruleID ?? "?")"
                        : eligibility.unloadedIssuer != nil ? "? (no mapping loaded)" : "-",
                    user.status == .active ? "active" : "inactive (\(user.deactivationReason?.rawValue ?? "?"))",
                    Timestamp.format(user.lastSignInAt) ?? "-",
                ])
            }
            for line in formatTable(table) { Output.line(line) }
            Output.line("\(plural(page.users.count, "user"))" + (page.nextCursor.map { "; next page: --cursor \($0)" } ?? ""))
            let unloaded = Set(rows.compactMap(\.1.unloadedIssuer)).sorted()
            if !unloaded.isEmpty {
                Output.line(
                    "EDITABLE unknown: no mapping for \(unloaded.joined(separator: ", ")) is loaded from \(ledger.options.mappingsPath), "
                        + "so whether the IdP owns those roles cannot be told here; pass --config with the server's configuration"
                )
            }
        }
    }
}

struct UsersShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one user, with eligibility and recent activity.")

    @OptionGroup var store: StoreOptions

    @Argument(help: "The user's id or email.")
    var user: String

    @Option(help: "Output format: human or json.")
    var format: OutputFormat = .human

    func run() async throws {
        let ledger = try await store.open()
        let found = try await ledger.service.user(reference: user)
        let eligibility = ledger.service.eligibility(of: found)
        switch format {
        case .json:
            Output.line(try jsonText(UserDetailReport(try await ledger.service.detail(of: found))))
        case .human:
            let detail = try await ledger.service.detail(of: found)
            let recent = detail.activity.recent
            let sessions = detail.activity.activeSessions
            let fields: [(String, String)] = [
                ("id", found.id.description), ("email", found.email ?? "-"), ("name", found.name ?? "-"),
                ("organisation unit", found.organizationUnit ?? "-"), ("identity", "\(found.issuer) sub \(found.subject)"),
                ("role", UserReport.roleLine(found, eligibility)),
                ("status", found.status == .active ? "active" : "inactive (reason \(found.deactivationReason?.rawValue ?? "?"))"),
                ("registered", Timestamp.format(found.registeredAt)), ("last sign-in", Timestamp.format(found.lastSignInAt) ?? "-"),
                ("sign-ins", found.signInCount.description), ("sessions", sessions.description),
            ]
            for (name, value) in fields { Output.line(name.padding(toLength: 19, withPad: " ", startingAt: 0) + value) }
            Output.line("recent activity:")
            for line in try await AuditCommand.sentences(recent, ledger.store) { Output.line("  " + line) }
        }
    }
}

struct UsersSetRoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-role",
        abstract: "Set a user's role by hand (only users the mapping does not cover)."
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "The user's id or email.")
    var user: String

    @Argument(help: "One of super_admin, model_admin, provider_admin, mcp_admin, user_admin, billing_admin, user.")
    var role: Role

    func run() async throws {
        let ledger = try await store.open()
        let found = try await ledger.service.user(reference: user)
        let updated = try await refusalsExit { try await ledger.service.setRole(role, of: found.id, by: .cli) }
        Output.line(
            updated.role == found.role && found.roleSource == updated.roleSource
                ? "user \(updated.id) \(updated.displayName) already has role \(role)"
                : "user \(updated.id) \(updated.displayName): role \(found.role) → \(updated.role) (manual)"
        )
    }
}

struct UsersDeactivateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deactivate",
        abstract: "Deactivate a user by hand: sessions end, and it holds until reactivated."
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "The user's id or email.")
    var user: String

    func run() async throws {
        try await setStatus(.inactive, of: user, store: store)
    }
}

struct UsersReactivateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reactivate",
        abstract: "Reactivate a user an admin deactivated (an IdP deactivation lifts only through the IdP)."
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "The user's id or email.")
    var user: String

    func run() async throws {
        try await setStatus(.active, of: user, store: store)
    }
}

struct UsersOffboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "offboard",
        abstract: "Cut a leaver off: revoke every key, end every session, then deactivate (reason manual), in one transaction."
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "The user's id or email.")
    var user: String

    @Option(help: ArgumentHelp("Why, for the audit log (required), for example 'left the company'.", valueName: "text"))
    var reason: String

    @Option(help: "Output format: human or json.")
    var format: OutputFormat = .human

    func validate() throws {
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ValidationError("--reason must say why the user is offboarded")
        }
    }

    func run() async throws {
        let ledger = try await store.open()
        let found = try await ledger.service.user(reference: user)
        let result = try await refusalsExit { try await ledger.service.offboard(found.id, reason: reason, by: .cli) }
        let time = Date()
        let owner = KeyOwner(result.user)
        let keys = result.revokedKeys.map { KeyReport(OwnedKey(key: $0, owner: owner), at: time) }
        switch format {
        case .json:
            let user = UserDetailReport(try await ledger.service.detail(of: result.user))
            Output.line(try jsonText(OffboardingReport(user: user, revokedKeys: keys, sessionsEnded: result.sessionsEnded)))
        case .human:
            for key in keys { Output.line("revoked key \(key.key.id) \(key.key.prefix) '\(key.key.name)'") }
            if keys.isEmpty { Output.line("no key to revoke") }
            Output.line("ended \(plural(result.sessionsEnded, "session"))")
            Output.line("user \(result.user.id) \(result.user.displayName): \(result.user.status.rawValue) (manual)")
        }
    }
}

/// `users deactivate` and `users reactivate`: one status edit as the command line's operator.
private func setStatus(_ status: UserStatus, of reference: String, store: StoreOptions) async throws {
    let ledger = try await store.open()
    let found = try await ledger.service.user(reference: reference)
    let updated = try await refusalsExit { try await ledger.service.setStatus(status, of: found.id, by: .cli) }
    let reason = updated.deactivationReason.map { " (\($0.rawValue))" } ?? ""
    Output.line("user \(updated.id) \(updated.displayName): \(updated.status.rawValue)\(reason)")
}

/// Runs an edit; a ledger refusal becomes a one-line error and exit code 1.
func refusalsExit<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as LedgerError {
        throw CLIError("refused (\(error.code)): \(error)")
    }
}

/// The bytes of a file, or of standard input for `-`.
func readInput(_ path: String) throws -> Data {
    if path == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
    do {
        return try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
        throw CLIError("\(path): cannot read the file (\(describe(error)))")
    }
}

/// Reads a claims JSON object from a file or standard input (`-`).
func readClaimsFile(_ path: String) throws -> Claims {
    let name = path == "-" ? "<stdin>" : path
    let data = try readInput(path)
    do {
        return try Claims(json: data)
    } catch {
        throw CLIError("\(name): \(error)")
    }
}

/// Columns padded to their widest cell, two spaces apart, trailing spaces trimmed.
func formatTable(_ rows: [[String]]) -> [String] {
    guard let columns = rows.first?.count else { return [] }
    let widths = (0..<columns).map { column in rows.map { $0[column].count }.max() ?? 0 }
    return rows.map { row in
        var line = ""
        for (column, cell) in row.enumerated() {
            line += column == columns - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0) + "  "
        }
        return line
    }
}
