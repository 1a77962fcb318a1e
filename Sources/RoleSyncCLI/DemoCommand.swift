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
            Signs in every example claims file through the same path as `users sign-in`, edits one uncovered user's
            role by hand and signs them in again (the edit survives), tries to edit a covered user (refused: the IdP
            owns that role), then lists every user with role, source and eligibility. Safe to run again.
            """
    )

    @OptionGroup var store: StoreOptions

    @Option(help: ArgumentHelp("Folder of example claims (JSON objects with an iss).", valueName: "folder"))
    var claims = "examples/claims"

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
        for line in formatTable(table) { Output.line("  " + line) }
        Output.line("")
        Output.line("Next: rolesync users show <id>, rolesync audit, rolesync mapping dry-run mappings/ --database \(ledger.options.databasePath)")
    }
}
