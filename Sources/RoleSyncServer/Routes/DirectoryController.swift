import Foundation
import Hummingbird
import RoleSyncLedger
import RoleSyncReconciler
import RoleSyncReports

/// The directories on the admin API: how each IdP's directory is read and how its last run went
/// (`GET /api/admin/directory`), and a dry run of one reconciliation
/// (`POST /api/admin/directory/{idp}/dry-run`: the plan, as `rolesync reconcile --dry-run
/// --format json` prints it; nothing is written, no run is recorded).
struct DirectoryController: Sendable {
    let desk: DirectoryDesk?
    let now: @Sendable () -> Date

    func addRoutes(to admin: RouterGroup<RoleSyncRequestContext>) {
        admin.on(.directory) { _, _ in
            JSONBody(try await desk?.overview(at: now()) ?? DirectoryReport(directories: []))
        }
        admin.on(.directoryDryRun) { _, context in
            let name = context.parameters.get("idp") ?? ""
            return JSONBody(try await dryRun(name).report)
        }
    }

    /// The named IdP's reconciliation, planned and not applied.
    /// - Throws: 404 for an IdP without a directory `serve` reads; 502 when the directory could not
    ///   be read whole (its error's code and message, never a token).
    func dryRun(_ name: String) async throws -> (outcome: Reconciler.Outcome, report: ReconciliationReport) {
        guard let reconciler = desk?.reconciler(named: name) else {
            throw ProblemError(
                .notFound,
                title: "No such directory",
                code: "directory_not_found",
                detail: "no idp named '\(name)' has a directory that this server reads",
                field: "idp"
            )
        }
        let outcome: Reconciler.Outcome
        do {
            outcome = try await reconciler.run(dryRun: true)
        } catch let error as ReconcileError {
            throw ProblemError(.badGateway, title: "The directory could not be read", code: error.code, detail: "\(error)")
        }
        let reading = ReconciliationReport.Reading(
            kind: outcome.kind.rawValue,
            mode: outcome.mode,
            fullReason: outcome.fullReason,
            requests: outcome.requests,
            throttledSeconds: outcome.throttledSeconds
        )
        return (outcome, ReconciliationReport(idp: name, plan: outcome.plan, dryRun: true, applied: false, reading: reading))
    }
}
