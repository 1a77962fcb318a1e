import ArgumentParser
import Foundation
import RoleSyncConfig
import RoleSyncLedger
import RoleSyncReports

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "API keys: create, list, show, roll and revoke any key on the platform.",
        discussion: """
            A key belongs to one user and acts with that user's role at the moment of each request. A 'gateway' key \
            (the default) is good only at the gateway (introspection, POST /oauth/introspect, and /gateway/check); an 'admin' key is \
            accepted by the admin API while its owner holds user_admin or super_admin ('Authorization: Bearer rsk_…'). \
            A key is shown once and stored as a SHA-256 hash. Rolling replaces a key with a new one while the old one \
            keeps working for a while, so callers move over without downtime. Revocation is permanent and audited; \
            deactivating a user revokes all their keys first. 'rolesync tokens' is an older name of this command.
            """,
        subcommands: [KeysCreateCommand.self, KeysListCommand.self, KeysShowCommand.self, KeysRollCommand.self, KeysRevokeCommand.self],
        aliases: ["tokens"]
    )
}

struct KeysCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a key for a user; prints the key once, on standard output."
    )

    @OptionGroup var store: StoreOptions

    @Option(help: ArgumentHelp("The owner: id or email.", valueName: "id|email"))
    var user: String

    @Option(help: ArgumentHelp("What it is for, for example checkout-service-prod (1–100 characters).", valueName: "name"))
    var name: String

    @Option(
        name: [.customLong("expires-in"), .customLong("expires")],
        help: ArgumentHelp("Lifetime: 90d, 12h, 30m, 45s or seconds (at most 3650d); default: until revoked.", valueName: "duration")
    )
    var expiresIn: String?

    @Option(help: ArgumentHelp("gateway (default) or admin (needs an owner with user_admin or super_admin).", valueName: "purpose"))
    var purpose: APIKeyPurpose = .gateway

    @Option(help: "Output format: human or json.")
    var format: OutputFormat = .human

    func validate() throws {
        if let expiresIn, KeyService.lifetime(expiresIn) == nil {
            throw ValidationError("--expires-in: '\(expiresIn)' is not a duration (90d, 12h, 30m, 45s or seconds)")
        }
    }

    func run() async throws {
        let ledger = try await store.open()
        let owner = try await ledger.service.user(reference: user)
        let keys = ledger.keys
        let created = try await refusalsExit {
            try await keys.create(for: owner.id, name: name, lifetime: expiresIn.flatMap(KeyService.lifetime), purpose: purpose, by: .cli)
        }
        let report = CreatedKeyReport(try await keys.key(id: created.key.id), value: created.value, at: Date())
        switch format {
        case .json:
            Output.line(try jsonText(report))
        case .human:
            Output.line(created.value)
            Output.error(
                "Key \(created.key.id) '\(created.key.name)' (\(created.key.purpose.rawValue)) for \(owner.displayName) (user \(owner.id))"
                    + (created.key.expiresAt.map { ", expires \(Timestamp.format($0))" } ?? ", until revoked")
                    + ". It is shown only now; store it as a secret."
            )
        }
    }
}

struct KeysListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List every key on the platform (never the keys themselves).",
        discussion: """
            Stale keys, longest unused first: rolesync keys list --stale --sort last_used --order asc \
            (unused for the configuration's keys.stale_after, or --stale-after).
            """
    )

    @OptionGroup var store: StoreOptions

    @Option(
        name: [.customShort("q"), .customLong("search")],
        help: "Case-insensitive part of the key's name or prefix, or of its owner's name or email."
    )
    var search: String?

    @Option(help: ArgumentHelp("Only this owner's keys: id or email.", valueName: "id|email"))
    var owner: String?

    @Option(help: ArgumentHelp("Only active, revoked or expired keys.", valueName: "status"))
    var status: APIKeyStatus?

    @Option(help: ArgumentHelp("Only gateway or admin keys.", valueName: "purpose"))
    var purpose: APIKeyPurpose?

    @Flag(help: "Only stale keys: active, and unused (or never used) for keys.stale_after or --stale-after.")
    var stale = false

    @Option(help: ArgumentHelp("With --stale: unused for this long (90d, 12h), instead of keys.stale_after.", valueName: "duration"))
    var staleAfter: String?

    @Flag(help: "Only active keys made to live longer than keys.max_lifetime (made before the policy was set).")
    var overMaxLifetime = false

    @Option(help: "Sort by last_used (never-used first when ascending), created, name or owner.")
    var sort: KeysQuery.Sort = .created

    @Option(help: "asc or desc.")
    var order: UsersQuery.Order = .descending

    @Option(help: "Keys per page (1–500).")
    var limit: Int = 50

    @Option(help: "The next_cursor of the previous page.")
    var cursor: String?

    @Option(help: ListFormat.help)
    var format: ListFormat = .human

    func validate() throws {
        guard (1...500).contains(limit) else { throw ValidationError("--limit must be between 1 and 500") }
        if format.export != nil, cursor != nil {
            throw ValidationError("--cursor does not go with --format \(format.rawValue): an export has every matching key")
        }
        if let staleAfter {
            guard stale else { throw ValidationError("--stale-after goes with --stale") }
            guard KeyService.lifetime(staleAfter) != nil else { throw ValidationError("--stale-after: '\(staleAfter)' is not a duration (90d, 12h)") }
        }
        if stale || overMaxLifetime, let status, status != .active {
            throw ValidationError("--stale and --over-max-lifetime list active keys; leave out --status \(status.rawValue)")
        }
    }

    func run() async throws {
        let ledger = try await store.open()
        var ownerID: UserID?
        if let owner { ownerID = try await ledger.service.user(reference: owner).id }
        let time = Date()
        var unusedSince: Date?
        if stale {
            guard let after = staleAfter.flatMap(KeyService.lifetime) ?? ledger.options.keyPolicy.staleAfter else {
                throw CLIError("--stale: how long unused is stale? Pass --stale-after 90d, or set keys.stale_after in the configuration (--config)")
            }
            unusedSince = time.addingTimeInterval(-after)
        }
        var lifetimeLongerThan: TimeInterval?
        if overMaxLifetime {
            guard let maxLifetime = ledger.options.keyPolicy.maxLifetime else {
                throw CLIError("--over-max-lifetime: the configuration (--config) sets no keys.max_lifetime")
            }
            lifetimeLongerThan = maxLifetime
        }
        let query = KeysQuery(
            search: search,
            ownerID: ownerID,
            status: stale || overMaxLifetime ? .active : status,
            purpose: purpose,
            unusedSince: unusedSince,
            lifetimeLongerThan: lifetimeLongerThan,
            sort: sort,
            order: order,
            limit: limit,
            cursor: cursor
        )
        if let export = format.export {
            try await Export.keys(query, format: export, keys: ledger.keys, at: time).print()
            return
        }
        let page: KeysPage
        do {
            page = try await ledger.keys.keys(matching: query)
        } catch LedgerStoreError.invalidCursor {
            throw CLIError("--cursor: \(LedgerStoreError.invalidCursor)")
        }
        let reports = page.keys.map { KeyReport($0, at: time) }
        switch format {
        case .json, .csv, .jsonl:
            Output.line(try jsonText(PageReport(key: "keys", items: reports, nextCursor: page.nextCursor)))
        case .human:
            var table = [["ID", "NAME", "OWNER", "PURPOSE", "PREFIX", "CREATED", "LAST USED", "STATUS"]]
            for r in reports {
                table.append([
                    "\(r.key.id)", r.key.name, r.ownerLabel, r.key.purpose.rawValue, r.key.prefix, Timestamp.format(r.key.createdAt),
                    Timestamp.format(r.key.lastUsedAt) ?? "never", r.key.status(at: time).rawValue,
                ])
            }
            for line in formatTable(table) { Output.line(line) }
            Output.line(plural(reports.count, "key") + (page.nextCursor.map { "; next page: --cursor \($0)" } ?? ""))
        }
    }
}

struct KeysShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one key: owner, dates, status, who revoked it and why, and its requests per day."
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: ArgumentHelp("The key's id (from keys list).", valueName: "id"))
    var id: Int64

    @Option(help: "Output format: human or json.")
    var format: OutputFormat = .human

    func run() async throws {
        let ledger = try await store.open()
        let keys = ledger.keys
        let owned = try await refusalsExit { try await keys.key(id: id) }
        let detail = KeyDetailReport(owned, usage: try await keys.usage(of: id), at: Date())
        switch format {
        case .json:
            Output.line(try jsonText(detail))
        case .human:
            let r = detail.report
            let owner = "\(r.ownerLabel) (user \(r.owner.id)\(r.owner.email.map { ", \($0)" } ?? ""))"
            var fields: [(String, String)] = [
                ("id", "\(r.key.id)"), ("name", r.key.name), ("owner", owner), ("purpose", r.key.purpose.rawValue),
                ("prefix", r.key.prefix), ("status", r.statusSummary), ("created", Timestamp.format(r.key.createdAt)),
                ("expires", Timestamp.format(r.key.expiresAt) ?? "never"),
                ("last used", (Timestamp.format(r.key.lastUsedAt) ?? "never") + " (within \(Int(KeyUsageRecorder.flushInterval)) s)"),
            ]
            if let previous = r.key.rolledFrom { fields.append(("replaces", "key \(previous)")) }
            if let next = r.key.rolledTo {
                let used = r.key.usedSinceRoll == true ? "used since the roll" : "not used since the roll"
                fields.append(("rolled to", "key \(next) at \(Timestamp.format(r.key.rolledAt) ?? ""); \(used)"))
            }
            for (name, value) in fields { Output.line(name.padding(toLength: 10, withPad: " ", startingAt: 0) + value) }
            let used = detail.usage.filter { $0.requests > 0 }
            let total = used.reduce(0) { $0 + $1.requests }
            Output.line("requests in the last \(KeyService.usageDays) days: \(total)" + (used.isEmpty ? "" : ", by day:"))
            for day in used { Output.line("  \(KeyDetailReport.date(of: day.day))  \(day.requests)") }
        }
    }
}

struct KeysRollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roll",
        abstract: "Replace a key with a new one (same owner, name and purpose); prints the new key once, on standard output.",
        discussion: """
            The old key keeps working until --old-expires-in has passed (or its own expiry, if sooner), then expires: \
            callers move to the new key without downtime. 'keys show' on the old key tells whether it was used after \
            the roll. Audited as key.rolled.
            """
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: ArgumentHelp("The key's id (from keys list).", valueName: "id"))
    var id: Int64

    @Option(
        name: .customLong("old-expires-in"),
        help: ArgumentHelp("How long the old key keeps working: now, or 90m, 24h, 7d (at most 7d).", valueName: "duration")
    )
    var oldExpiresIn = "24h"

    @Option(help: "Output format: human or json.")
    var format: OutputFormat = .human

    func validate() throws {
        guard KeyService.rollOverlap(oldExpiresIn) != nil else {
            throw ValidationError("--old-expires-in: '\(oldExpiresIn)' is not 'now' or a duration up to 7d (90m, 24h, 7d)")
        }
    }

    func run() async throws {
        let ledger = try await store.open()
        let keys = ledger.keys
        let (rolled, value) = try await refusalsExit {
            try await keys.roll(id: id, oldExpiresIn: KeyService.rollOverlap(oldExpiresIn) ?? KeyService.defaultRollOverlap, as: .operator, by: .cli)
        }
        let new = rolled.replacement.key
        let old = rolled.replaced.key
        switch format {
        case .json:
            Output.line(try jsonText(CreatedKeyReport(rolled.replacement, value: value, at: Date())))
        case .human:
            Output.line(value)
            Output.error(
                "Key \(new.id) (\(new.prefix)) '\(new.name)' replaces key \(old.id) (\(old.prefix)), which works until "
                    + (Timestamp.format(old.expiresAt) ?? "")
                    + (new.expiresAt.map { "; the new key expires \(Timestamp.format($0))" } ?? "; the new key lives until revoked")
                    + ". It is shown only now; store it as a secret."
            )
        }
    }
}

struct KeysRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Revoke keys for good (there is no un-revoke); audited with the reason.",
        discussion: """
            Give key ids (from keys list), or --stale-since to revoke every active key unused (or, never used, \
            created) for that long. Several keys are revoked in one transaction, all or none; each gets its own \
            key.revoked event with the reason. --dry-run lists what would be revoked and changes nothing. A key \
            used after it was listed is left as it is.
            """
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: ArgumentHelp("The keys' ids (from keys list).", valueName: "id"))
    var ids: [Int64] = []

    @Option(
        name: .customLong("stale-since"),
        help: ArgumentHelp("Instead of ids: every active key unused for this long (90d, 12h).", valueName: "duration")
    )
    var staleSince: String?

    @Option(help: ArgumentHelp("Why, for the audit log (required), for example 'leaked in a CI log'.", valueName: "text"))
    var reason: String

    @Flag(help: "List the keys that would be revoked; revoke nothing.")
    var dryRun = false

    @Option(help: "Output format: human or json.")
    var format: OutputFormat = .human

    func validate() throws {
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ValidationError("--reason must say why the key is revoked")
        }
        switch (ids.isEmpty, staleSince) {
        case (true, nil): throw ValidationError("name the keys to revoke: their ids, or --stale-since 90d")
        case (false, _?): throw ValidationError("give key ids or --stale-since, not both")
        case (_, let staleSince?):
            guard KeyService.lifetime(staleSince) != nil else {
                throw ValidationError("--stale-since: '\(staleSince)' is not a duration (90d, 12h)")
            }
        default: break
        }
    }

    func run() async throws {
        let ledger = try await store.open()
        let keys = ledger.keys
        let time = Date()
        var chosen = ids
        var unusedBefore: Date?
        var stale: [OwnedKey]?
        if let staleSince, let after = KeyService.lifetime(staleSince) {
            let before = time.addingTimeInterval(-after)
            unusedBefore = before
            stale = try await keys.staleKeys(unusedBefore: before)
            chosen = stale?.map(\.key.id) ?? []
        }
        if dryRun {
            // The sweep's keys are read already; named ids are read here.
            var owned = stale ?? []
            if stale == nil { for id in chosen { owned.append(try await refusalsExit { try await keys.key(id: id) }) } }
            try list(owned, at: time)
            return
        }
        if chosen.isEmpty {
            Output.line("No active key is unused for \(staleSince ?? ""); nothing to revoke.")
            return
        }
        let reason = self.reason
        let batch = chosen.count > 1
        let revoked = try await refusalsExit {
            do {
                return try await keys.revoke(ids: chosen, reason: reason, unusedBefore: unusedBefore, by: .cli)
            } catch let error as LedgerError where batch {
                throw CLIError("refused (\(error.code)): \(error); nothing was revoked (the keys are revoked all or none)")
            }
        }
        switch format {
        case .json:
            Output.line(try jsonText(RevokedKeysReport(revoked, at: time)))
        case .human:
            if ids.count == 1, let key = revoked.first?.key {
                Output.line("Key \(key.id) (\(key.prefix)) '\(key.name)' revoked; it is refused from the next request on.")
                return
            }
            for owned in revoked {
                Output.line("revoked  \(owned.key.id)  \(owned.key.prefix)  \(owned.key.name)  (\(KeyReport(owned, at: time).ownerLabel))")
            }
            let left = chosen.count - revoked.count
            Output.line(
                "\(plural(revoked.count, "key")) revoked in one transaction; each is refused from the next request on."
                    + (left > 0 ? " \(plural(left, "key")) used since the listing left as \(left == 1 ? "it is" : "they are")." : "")
            )
        }
    }

    /// The dry run: the keys as they are, and what would happen.
    func list(_ owned: [OwnedKey], at time: Date) throws {
        let reports = owned.map { KeyReport($0, at: time) }
        switch format {
        case .json:
            Output.line(try jsonText(PageReport(key: "keys", items: reports, nextCursor: nil)))
        case .human:
            var table = [["ID", "NAME", "OWNER", "PREFIX", "LAST USED", "STATUS"]]
            for r in reports {
                table.append([
                    "\(r.key.id)", r.key.name, r.ownerLabel, r.key.prefix, Timestamp.format(r.key.lastUsedAt) ?? "never",
                    r.key.status(at: time).rawValue,
                ])
            }
            if !reports.isEmpty { for line in formatTable(table) { Output.line(line) } }
            let revocable = reports.filter { $0.key.revokedAt == nil }.count
            Output.line(
                "Dry run: \(plural(revocable, "key")) would be revoked"
                    + (revocable < reports.count ? " (\(reports.count - revocable) already revoked: the revocation would be refused)" : "")
                    + "; nothing was changed."
            )
        }
    }
}
