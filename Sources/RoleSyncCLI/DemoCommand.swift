import ArgumentParser
import Foundation
import RoleSyncConfig
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncReports

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Show the ledger at work on the shipped examples.",
        discussion: """
            Signs in every example claims file through the same path as `users sign-in`, edits one uncovered \
            user's role by hand and signs them in again (the edit survives), tries to edit a covered user \
            (refused: the IdP owns that role), then lists every user with role, source and eligibility. Safe to \
            run again.

            --people and --keys add a realistic amount of data for trying the Admin Dashboard: people signed in \
            through the same path, each a copy of an example user with a name and email of their own (so each \
            IdP's mapping decides their role), and gateway keys with service-like names, owned by them, one in \
            ten revoked.
            """
    )

    @OptionGroup var store: StoreOptions

    @Option(
        name: .customLong("claims"),
        help: ArgumentHelp(
            "Folder of example claims (JSON objects with an iss; default examples/claims, or the Debian package's \(Self.packagedClaims) outside a checkout).",
            valueName: "folder"
        )
    )
    var claimsOption: String?

    /// Where the Debian package installs `examples/claims` (scripts/package-deb).
    static let packagedClaims = "/usr/share/rolesync/examples/claims"

    /// `--claims`, else `examples/claims` in a checkout, else the package's copy.
    var claims: String {
        if let claimsOption { return claimsOption }
        var folder: ObjCBool = false
        if FileManager.default.fileExists(atPath: "examples/claims", isDirectory: &folder) && folder.boolValue { return "examples/claims" }
        return FileManager.default.fileExists(atPath: Self.packagedClaims) ? Self.packagedClaims : "examples/claims"
    }

    @Option(help: ArgumentHelp("Also sign in this many generated people, copies of the example users.", valueName: "count"))
    var people = 0

    @Option(help: ArgumentHelp("Also create this many gateway keys owned by the generated people (needs --people).", valueName: "count"))
    var keys = 0

    func validate() throws {
        guard (0...100_000).contains(people) else { throw ValidationError("--people is a count from 0 to 100000") }
        guard (0...100_000).contains(keys) else { throw ValidationError("--keys is a count from 0 to 100000") }
        guard keys == 0 || people > 0 else { throw ValidationError("--keys needs --people: the keys belong to the generated people") }
    }

    func run() async throws {
        let ledger = try await store.open()
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: claims).filter { $0.hasSuffix(".json") }.sorted()
        } catch {
            throw CLIError("\(claims): cannot list the folder (\(describe(error)))")
        }
        Output.line("== Signing in \(plural(files.count, "example user")) from \(claims)/ into \(ledger.options.databasePath)")
        var signedIn: [(file: String, claims: Claims, user: User)] = []
        for file in files {
            let path = claims + "/" + file
            let input = try readClaimsFile(path)
            guard case .string(let issuer)? = input.values["iss"] else {
                Output.line("  \(file): skipped (no iss)")
                continue
            }
            let result = try await ledger.service.signIn(issuer: issuer, claims: input)
            if let refusal = result.refusal {
                Output.line("  \(file): REFUSED (\(refusal.code)): \(refusal)")
            } else if let user = result.user {
                signedIn.append((file, input, user))
                let verb = result.isCreated ? "created" : "signed in"
                Output.line(
                    "  \(file): \(verb) user \(user.id) \(user.displayName) as \(UserReport.roleLine(user, ledger.service.eligibility(of: user)))"
                )
            }
        }

        if let uncovered = signedIn.first(where: { ledger.service.eligibility(of: $0.user).isManualRoleEditable }) {
            Output.line("")
            Output.line("== A manual edit of an uncovered user is durable")
            let edited = try await ledger.service.setRole(.billingAdmin, of: uncovered.user.id, by: .cli)
            Output.line("  set-role \(edited.displayName) billing_admin: now \(edited.role) (\(edited.roleSource.rawValue))")
            let again = try await ledger.service.signIn(issuer: uncovered.user.issuer, claims: uncovered.claims)
            Output.line("  signed in again: still \(again.user?.role.rawValue ?? "?") (\(again.user?.roleSource.rawValue ?? "?"))")
        }
        if let covered = signedIn.first(where: { ledger.service.eligibility(of: $0.user).isCovered }) {
            Output.line("")
            Output.line("== A manual edit of a covered user is refused")
            do {
                try await ledger.service.setRole(.modelAdmin, of: covered.user.id, by: .cli)
            } catch let error as LedgerError {
                Output.line("  set-role \(covered.user.displayName) model_admin: refused (\(error.code)): \(error)")
            }
        }

        if people > 0 {
            try await addPeople(copying: signedIn.map { ($0.claims, $0.user) }, ledger)
        }

        Output.line("")
        Output.line("== The ledger")
        let page = try await ledger.store.users(matching: UsersQuery(limit: 500))
        var table = [["ID", "EMAIL", "ROLE", "SOURCE", "EDITABLE", "GOVERNED BY", "STATUS"]]
        for user in page.users {
            let e = ledger.service.eligibility(of: user)
            table.append([
                user.id.description, user.email ?? "-", user.role.rawValue, user.roleSource.rawValue, e.isManualRoleEditable ? "yes" : "no",
                e.isCovered ? "\(e.mappingFile ?? "?")#\(e.ruleID ?? "?")" : "-", user.status.rawValue,
            ])
        }
        for line in formatTable(table).prefix(people > 0 ? 21 : .max) { Output.line("  " + line) }
        if page.users.count > 20, people > 0 { Output.line("  … and more: rolesync users list --database \(ledger.options.databasePath)") }
        Output.line("")
        Output.line("Next: rolesync users show <id>, rolesync audit, rolesync mapping dry-run mappings/ --database \(ledger.options.databasePath)")
    }

    /// Signs in `people` copies of the example users, then creates `keys` gateway keys among them.
    func addPeople(copying templates: [(claims: Claims, user: User)], _ ledger: Ledger) async throws {
        guard !templates.isEmpty else { throw CLIError("--people copies the example users, and none signed in") }
        Output.line("")
        Output.line("== \(people == 1 ? "1 generated person" : "\(people) generated people") and \(plural(keys, "gateway key"))")
        var owners: [UserID] = []
        var refused = 0
        for index in 0..<people {
            let template = templates[index % templates.count]
            let person = DemoPeople.person(index)
            var values = template.claims.values
            for (name, value) in values {
                guard case .string(let text) = value else { continue }
                if text.caseInsensitiveCompare(template.user.email ?? "\u{0}") == .orderedSame {
                    values[name] = .string(person.email)
                } else if text == template.user.name {
                    values[name] = .string(person.name)
                }
            }
            if case .string(let subject)? = values["sub"] { values["sub"] = .string("demo-\(index)-\(subject)") }
            let result = try await ledger.service.signIn(issuer: template.user.issuer, claims: Claims(values))
            if let user = result.user, result.refusal == nil { owners.append(user.id) } else { refused += 1 }
        }
        Output.line(
            "  signed in \(owners.count == 1 ? "1 person" : "\(owners.count) people")\(refused > 0 ? "; \(refused) refused, as their example was" : "")"
        )
        guard keys > 0 else { return }
        guard !owners.isEmpty else { throw CLIError("--keys: every generated person was refused, so nobody can own a key") }
        var revoked = 0
        for index in 0..<keys {
            let owner = owners[(index * 7) % owners.count]
            let name = DemoPeople.keyName(index)
            let created = try await ledger.keys.create(for: owner, name: name, lifetime: nil, purpose: .gateway, by: .cli)
            if index % 10 == 9 {
                _ = try await ledger.keys.revoke(id: created.key.id, cause: .admin, reason: "demo: no longer used", by: .cli)
                revoked += 1
            }
        }
        Output.line("  created \(plural(keys, "gateway key")) (\(revoked) revoked); their secrets were not kept")
    }
}

/// Names for `demo --people` and `--keys`: deterministic, so two runs make the same ledger.
enum DemoPeople {
    static let first = [
        "Chen", "Amara", "Lukas", "Priya", "Mateo", "Sofia", "Kwame", "Yuki", "Olga", "Diego", "Fatima", "Noah", "Ingrid", "Ravi",
        "Zoë", "Sean", "Aisha", "Tomás", "Mei", "Jonas", "Leila", "Oskar", "Nadia", "Emeka", "Hana", "Pablo", "Greta", "Arjun",
        "Elif", "Marcus",
    ]
    static let last = [
        "Novak", "Okafor", "Schmidt", "Raman", "García", "Rossi", "Mensah", "Tanaka", "Ivanova", "Hernández", "Haddad", "Walker",
        "Lund", "Iyer", "Dubois", "O'Brien", "Khan", "Silva", "Wang", "Berg", "Farah", "Nilsson", "Petrova", "Eze", "Sato",
        "Núñez", "Fischer", "Mehta", "Yılmaz", "Reid",
    ]
    static let services = [
        "grafana-exporter", "ci-deploy", "airflow", "jupyterhub", "mlflow", "prometheus", "backstage", "argo-workflows",
        "label-studio", "vector", "superset", "feature-store",
    ]

    static func person(_ index: Int) -> (name: String, email: String) {
        let given = first[index % first.count]
        let family = last[(index / first.count + index) % last.count]
        let local = "\(given).\(family)".folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil)
            .replacingOccurrences(of: "'", with: "").replacingOccurrences(of: "ı", with: "i")
        return ("\(given) \(family)", "\(local)\(index >= first.count * last.count ? "\(index)" : "")@example.com")
    }

    static func keyName(_ index: Int) -> String {
        "\(services[index % services.count])-\(index / services.count + 1)"
    }
}
