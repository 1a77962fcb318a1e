import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import RoleSyncConfig
import RoleSyncHTTPClient
import RoleSyncLedger
import RoleSyncReconciler
import RoleSyncReports

struct ReconcileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Reconcile users with their IdP's directory (SCIM, Okta, Microsoft Graph, Google Workspace, LDAP): print the plan and apply it.",
        discussion: """
            Reads each IdP's directory (the `directory:` of its `idps` entry in the serve configuration) through the \
            API of its `kind`: scim (a SCIM 2.0 server), okta (Okta's /api/v1/users and /api/v1/groups), \
            microsoft_graph (Entra ID's users and groups through Microsoft Graph), google_workspace (the Admin SDK \
            Directory API's users, groups and members) or ldap (paged searches of an LDAP server or Active Directory).

            Okta and Microsoft Graph are read incrementally (the changes since the cursor the last applied run stored \
            in the ledger) unless there is no cursor yet, the last full listing is older than `full_every` (default \
            24h), the directory asks for a full listing, or --full. SCIM, Google Workspace and LDAP are listed whole.

            The plan holds role and coverage changes from the directory's groups, deactivations of users gone from \
            the directory or inactive there, and reactivations where the IdP lifted its deactivation. Users who have \
            not signed in are never created. The plan is applied in one transaction (actor `reconciler`) unless \
            --dry-run. A run that would deactivate more than the configured share or count of active users applies \
            nothing (the safety valve) unless --force; an empty directory never deactivates anyone.

            Exit codes: 0 done, 1 an error (nothing changed), 3 the safety valve tripped (nothing changed).

            `--format json` prints one object per IdP with the keys idp, issuer, dry_run, applied, kind, mode (full \
            or incremental), full_reason (why a kind that reads increments listed everything, else null), requests \
            (sent to the directory, retries included), throttled_seconds (waited on its rate limits), \
            directory_users, ledger_users, active_users, matched, missing, unmatchable, not_signed_in, claim_updates, \
            deactivations, safety_valve and plan (the mapping dry run's keys).
            """
    )

    @OptionGroup var store: StoreOptions

    @Option(name: .customLong("idp"), help: ArgumentHelp("Only this IdP (its `name` in the configuration).", valueName: "name"))
    var idp: String?

    @Flag(name: .customLong("dry-run"), help: "Print the plan; write nothing.")
    var dryRun = false

    @Flag(help: "Apply even when the safety valve's share or count is exceeded (never on an empty directory).")
    var force = false

    @Flag(help: "List the whole directory even where the stored cursor could serve an incremental listing.")
    var full = false

    @Option(help: "Output format: human or json.")
    var format: OutputFormat = .human

    func validate() throws {
        if configPath == nil {
            throw ValidationError("reconcile needs the serve configuration: --config FILE (or env ROLESYNC_CONFIG)")
        }
    }

    private var configPath: String? { store.config ?? ProcessInfo.processInfo.environment["ROLESYNC_CONFIG"] }

    func run() async throws {
        guard let path = configPath else { throw ValidationError("--config FILE is required") }
        let configuration = try ServeConfiguration.load(path: path, requiringSecrets: false)
        var chosen = configuration.idps.filter { $0.directory?.url != nil }
        if let idp {
            guard let one = configuration.idps.first(where: { $0.name == idp }) else {
                let names = configuration.idps.map(\.name).joined(separator: ", ")
                throw CLIError("\(path): no idp is named '\(idp)' (configured: \(names))")
            }
            chosen = [one]
        }
        guard !chosen.isEmpty else { throw CLIError("\(path): no idp has a 'directory:' with a 'url' (or 'scim_url') to reconcile against") }
        for provider in chosen {
            // Before the ledger is opened: nothing is created for a run that cannot start.
            guard let directory = provider.directory, directory.url != nil else {
                throw CLIError("\(path): idp '\(provider.name)' has no 'directory:' with a 'url' (or 'scim_url') to reconcile against")
            }
            if let variable = directory.missingSecret {
                throw CLIError("\(ReconcileError.noToken(idp: provider.name, variable: variable, kind: directory.kind))")
            }
        }
        let ledger = try await store.open()
        let logger = Logger(label: "rolesync.reconcile")
        var tripped = false
        for provider in chosen {
            let clients = HTTPClients()
            let client: HTTPClient
            do {
                client = try clients.make(caFile: provider.directory?.caFile)
            } catch {
                throw CLIError("\(path): idp '\(provider.name)': the directory's CA file cannot be used (\(error))")
            }
            let result: Result<(ReconciliationPlan, ReconciliationReport), any Error>
            do {
                result = .success(try await reconcile(provider, client: client, ledger: ledger, logger: logger))
            } catch {
                result = .failure(error)
            }
            await clients.shutdown()
            let (plan, report) = try result.get()
            if plan.safetyValve != nil { tripped = true }
            switch format {
            case .json: Output.line(try jsonText(report))
            case .human: printHuman(plan, idp: provider.name, applied: report)
            }
        }
        if tripped { throw ExitCode(3) }
    }

    private func reconcile(
        _ provider: IdentityProviderSettings,
        client: HTTPClient,
        ledger: Ledger,
        logger: Logger
    ) async throws -> (ReconciliationPlan, ReconciliationReport) {
        let reconciler: Reconciler
        do {
            reconciler = try Reconciler(
                idp: provider,
                sync: ledger.service,
                transport: AsyncHTTPClientTransport(client: client, timeout: .seconds(30), maximumResponseSize: 32 << 20),
                states: ledger.store,
                logger: logger
            )
        } catch {
            throw CLIError("\(error)")  // names the idp
        }
        do {
            // A tripped safety valve comes back as the unapplied plan that tripped it.
            let outcome = try await reconciler.run(dryRun: dryRun, force: force, full: full)
            let reading = ReconciliationReport.Reading(
                kind: outcome.kind.rawValue,
                mode: outcome.mode,
                fullReason: outcome.fullReason,
                requests: outcome.requests,
                throttledSeconds: outcome.throttledSeconds
            )
            return (
                outcome.plan,
                ReconciliationReport(idp: provider.name, plan: outcome.plan, dryRun: dryRun, applied: outcome.applied, reading: reading)
            )
        } catch let error as ReconcileError {
            throw CLIError("idp '\(provider.name)': \(error)")
        }
    }

    private func printHuman(_ plan: ReconciliationPlan, idp: String, applied report: ReconciliationReport) {
        Output.line(
            "\(idp) (\(plan.issuer)): \(plural(plan.directoryUsers, "directory user")), "
                + "\(plural(plan.ledgerUsers, "ledger user")) (\(plan.activeUsers) active); \(plan.matched) matched, "
                + "\(plan.missing) missing from the directory, \(plan.unmatchable) without a match value, "
                + "\(plan.notSignedIn) not signed in yet (never created)."
        )
        let reading = report.reading
        let waited = reading.throttledSeconds > 0 ? String(format: "%.1f s", reading.throttledSeconds) : "no time"
        let why = reading.fullReason.map { ", because \($0)" } ?? ""
        Output.line(
            "Read through \(reading.kind): \(reading.mode == "incremental" ? "an" : "a") \(reading.mode) listing\(why); "
                + "\(plural(reading.requests, "request")), \(waited) waiting on its rate limits."
        )
        let changes = plan.plan.changes
        if changes.isEmpty {
            Output.line("No user's role, coverage or status changes.")
        } else {
            var table = [["ID", "USER", "CHANGES", "ROLE", "COVERED", "STATUS", "WHY"]]
            func yesNo(_ b: Bool) -> String { b ? "yes" : "no" }
            for c in changes {
                let kinds = c.kinds.map(\.rawValue).joined(separator: ",") + (c.isHeld ? " (HELD)" : "")
                let role = c.fromRole == c.toRole ? c.toRole.rawValue : "\(c.fromRole) → \(c.toRole)"
                let covered = c.wasCovered == c.isCovered ? yesNo(c.isCovered) : "\(yesNo(c.wasCovered)) → \(yesNo(c.isCovered))"
                let status = c.fromStatus == c.toStatus ? c.toStatus.rawValue : "\(c.fromStatus) → \(c.toStatus)"
                let why =
                    c.deactivationCause ?? c.rule.map { "\(c.mappingFile ?? "?")#\($0)" }
                    ?? (c.kinds.contains(.coverageLost) ? "no role rule holds" : "-")
                table.append([c.userID.description, c.user, kinds, role, covered, status, why])
            }
            for line in formatTable(table) { Output.line(line) }
        }
        printOverridesKept(plan.plan)
        let counts = plan.plan.counts
        let summary = ReevaluationPlan.Kind.allCases.map { "\(counts[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
        Output.line(
            "Summary: \(summary); \(plan.plan.claimUpdates.count) claims updated only; \(plan.plan.heldCount) held "
                + "(would leave no active super_admin); \(plan.plan.undetermined) undetermined (unknown claims, left as they are)"
        )
        if let valve = plan.safetyValve {
            Output.line("SAFETY VALVE: \(valve)")
        } else if dryRun {
            Output.line("Dry run: nothing was written.")
        } else {
            Output.line(report.isApplied ? "Applied in one transaction (actor reconciler)." : "Nothing to apply.")
        }
    }
}
