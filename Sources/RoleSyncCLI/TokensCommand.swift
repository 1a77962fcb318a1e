import ArgumentParser
import Foundation
import RoleSyncConfig
import RoleSyncLedger
import RoleSyncReports

struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens",
        abstract: "Admin API tokens for automation: create, list, revoke.",
        discussion: """
            A token is bound to a user and acts with that user's role at the moment of each request (so it can do \
            what the user may: user_admin or super_admin for the admin API). It is shown once and stored hashed; it \
            dies when its user is deactivated. Send it as 'Authorization: Bearer rs_…'.
            """,
        subcommands: [TokensCreateCommand.self, TokensListCommand.self, TokensRevokeCommand.self]
    )
}

struct TokensCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Issue a token for a user; prints it once."
    )

    @OptionGroup var store: StoreOptions

    @Option(help: ArgumentHelp("The user it acts for: id or email.", valueName: "id|email"))
    var user: String

    @Option(help: ArgumentHelp("What it is for (for example ci or dashboard).", valueName: "name"))
    var name: String

    @Option(help: ArgumentHelp("Lifetime: seconds, or 90s, 30m, 12h, 90d; default: until revoked.", valueName: "duration"))
    var expires: String?

    @Option(help: "Output format: human or json.")
    var format: OutputFormat = .human

    func validate() throws {
        if let expires, Self.seconds(expires) == nil {
            throw ValidationError("--expires: '\(expires)' is not a duration (seconds, or 90s, 30m, 12h, 90d)")
        }
    }

    /// A positive lifetime, written as in the configuration (`90d`, `12h`, or seconds).
    static func seconds(_ text: String) -> TimeInterval? {
        ServeConfiguration.seconds(text).flatMap { $0 > 0 ? $0 : nil }
    }

    func run() async throws {
        let ledger = try store.open()
        let target = try await ledger.service.user(reference: user)
        let tokens = TokenService(store: ledger.store)
        let (token, record) = try await tokens.create(
            for: target.id,
            name: name,
            lifetime: expires.flatMap(Self.seconds),
            by: .cli
        )
        switch format {
        case .json:
            Output.line(try jsonText(TokenReport(record, token: token)))
        case .human:
            Output.line(token)
            Output.error(
                "Token \(record.id) '\(record.name)' for \(target.displayName) (user \(target.id))"
                    + (record.expiresAt.map { ", expires \(Timestamp.format($0))" } ?? ", until revoked")
                    + ". It is shown only now; store it as a secret."
            )
        }
    }
}

struct TokensListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List tokens (never the tokens themselves).")

    @OptionGroup var store: StoreOptions

    @Option(help: ArgumentHelp("Only this user's tokens: id or email.", valueName: "id|email"))
    var user: String?

    @Option(help: "Output format: human or json.")
    var format: OutputFormat = .human

    func run() async throws {
        let ledger = try store.open()
        var userID: UserID?
        if let user { userID = try await ledger.service.user(reference: user).id }
        let records = try await TokenService(store: ledger.store).list(userID: userID)
        switch format {
        case .json:
            Output.line(try jsonText(records.map { TokenReport($0, token: nil) }))
        case .human:
            var table = [["ID", "USER", "NAME", "PREFIX", "CREATED", "EXPIRES", "LAST USED"]]
            for r in records {
                let created: String = Timestamp.format(r.createdAt)
                let expires: String = Timestamp.format(r.expiresAt) ?? "never"
                let used: String = Timestamp.format(r.lastUsedAt) ?? "never"
                table.append(["\(r.id)", "\(r.userID)", r.name, r.prefix + "…", created, expires, used])
            }
            for line in formatTable(table) { Output.line(line) }
            Output.line(plural(records.count, "token"))
        }
    }
}

struct TokensRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token by id.")

    @OptionGroup var store: StoreOptions

    @Argument(help: ArgumentHelp("The token's id (from tokens list).", valueName: "id"))
    var id: Int64

    func run() async throws {
        let ledger = try store.open()
        try await TokenService(store: ledger.store).revoke(id: id, by: .cli)
        Output.line("Token \(id) revoked.")
    }
}

/// A token as `tokens create` and `tokens list` print it in JSON.
struct TokenReport: Encodable {
    var id: Int64
    var userID: Int64
    var name: String
    var prefix: String
    var createdAt: String?
    var expiresAt: String?
    var lastUsedAt: String?
    var token: String?

    init(_ record: APIToken, token: String?) {
        id = record.id
        userID = record.userID.rawValue
        name = record.name
        prefix = record.prefix
        createdAt = Timestamp.format(record.createdAt)
        expiresAt = Timestamp.format(record.expiresAt)
        lastUsedAt = Timestamp.format(record.lastUsedAt)
        self.token = token
    }

    enum CodingKeys: String, CodingKey {
        case id, name, prefix, token
        case userID = "user_id"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case lastUsedAt = "last_used_at"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(userID, forKey: .userID)
        try c.encode(name, forKey: .name)
        try c.encode(prefix, forKey: .prefix)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(expiresAt, forKey: .expiresAt)
        try c.encode(lastUsedAt, forKey: .lastUsedAt)
        if let token { try c.encode(token, forKey: .token) }
    }
}
