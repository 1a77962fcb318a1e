import Foundation
import RoleSyncLedger
import RoleSyncReconciler

/// `/admin/directory`: per IdP, where its directory is read and how, the last run, the next, what
/// the safety valve holds, the last error, and a dry run's plan on demand.
struct DirectoryPageModel: Sendable {
    struct Fact: Sendable {
        var label: String
        var value: String
    }

    struct Entry: Sendable {
        var idp: String
        var anchor: String
        var kind: String
        var facts: [Fact]
        /// The last run in one sentence, with its outcome as a badge.
        var lastRun: String?
        var outcome: String?
        var outcomeClass: String
        var counts: [MappingPageModel.Count]
        /// Stored, not computed: the templates read a model through `Mirror`, which sees stored
        /// properties only.
        var hasCounts: Bool
        var valve: String?
        var error: String?
        var dryRunAction: String
        /// This IdP's dry run, when one was just asked for.
        var result: DryRun?
    }

    struct DryRun: Sendable {
        var summary: String
        var reading: String
        var valve: String?
        var plan: MappingPageModel.Result
    }

    var chrome: Chrome
    var directories: [Entry]

    init(chrome: Chrome, report: DirectoryReport, dryRun: (idp: String, DryRun)? = nil, now: Date) {
        self.chrome = chrome
        directories = report.directories.map { Self.entry($0, now: now, dryRun: dryRun?.idp == $0.idp ? dryRun?.1 : nil) }
    }

    static func entry(_ d: DirectoryReport.Entry, now: Date, dryRun: DryRun?) -> Entry {
        var facts = [
            Fact(label: "Source", value: "\(kindName(d.kind)) at \(d.url)"),
            Fact(
                label: "Schedule",
                value: "every \(Reconciler.duration(d.intervalSeconds))"
                    + (d.fullEverySeconds.map { ", a full listing at least every \(Reconciler.duration($0))" } ?? ", each run a full listing")
            ),
        ]
        if d.fullEverySeconds != nil {
            facts.append(
                Fact(
                    label: "Next run reads",
                    value: d.fullListingDue ? "everything (a full listing is due)" : "the changes since the last run (incremental)"
                )
            )
        }
        facts.append(
            Fact(
                label: "Next run",
                value: d.nextRunAt.map { "about \(PageTime($0).text) (\(relative($0, now)))" }
                    ?? "within a tenth of the interval after the server starts (no run recorded yet)"
            )
        )
        facts.append(Fact(label: "Last success", value: d.lastSuccessAt.map { "\(PageTime($0).text) (\(relative($0, now)))" } ?? "never"))
        if let full = d.lastFullAt { facts.append(Fact(label: "Last full listing", value: "\(PageTime(full).text) (\(relative(full, now)))")) }
        var lastRun: String?
        var counts: [MappingPageModel.Count] = []
        if let run = d.lastRun {
            let took = run.durationSeconds < 10 ? String(format: "%.2f s", run.durationSeconds) : String(format: "%.0f s", run.durationSeconds)
            lastRun =
                "\(run.mode == "incremental" ? "An" : "A") \(run.mode) listing at \(PageTime(run.startedAt).text) (\(relative(run.startedAt, now))), \(took), "
                + "\(run.requests) request\(run.requests == 1 ? "" : "s")"
                + (run.throttledSeconds > 0 ? String(format: ", %.1f s waiting on rate limits", run.throttledSeconds) : "")
                + (run.fullReason.map { "; full, because \($0)" } ?? "") + "."
            if run.outcome != "failed" {
                counts = [
                    .init(value: "\(run.directoryUsers)", label: run.mode == "full" ? "directory users" : "users changed"),
                    .init(value: "\(run.matched)", label: "matched"),
                    .init(value: "\(run.changed)", label: "changed"),
                    .init(value: "\(run.deactivated)", label: run.outcome == "safety_valve" ? "would deactivate" : "deactivated"),
                ]
            }
        }
        let outcome = d.lastRun?.outcome
        return Entry(
            idp: d.idp,
            anchor: "directory-" + d.idp.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) ? String($0) : "-" }.joined(),
            kind: kindName(d.kind),
            facts: facts,
            lastRun: lastRun,
            outcome: outcome.map { $0.replacingOccurrences(of: "_", with: " ") },
            outcomeClass: outcome == "failed" || outcome == "safety_valve" ? "managed managed-override" : "managed managed-idp",
            counts: counts,
            hasCounts: !counts.isEmpty,
            valve: d.lastRun?.safetyValve.map { "The safety valve holds the last plan: \($0)" },
            error: d.lastRun.flatMap { run in run.error.map { "\($0) (\(run.errorCode ?? "error"))" } },
            dryRunAction:
                "/admin/directory/\(d.idp.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? d.idp)/dry-run",
            result: dryRun
        )
    }

    static func kindName(_ kind: String) -> String {
        switch kind {
        case "okta": "Okta"
        case "microsoft_graph": "Microsoft Graph"
        case "google_workspace": "Google Workspace"
        case "ldap": "LDAP"
        default: "SCIM 2.0"
        }
    }

    /// `5 minutes ago`, `in 12 minutes`.
    static func relative(_ date: Date, _ now: Date) -> String {
        let seconds = date.timeIntervalSince(now)
        let magnitude = abs(seconds)
        let text: String =
            switch magnitude {
            case ..<60: "\(Int(magnitude)) s"
            case ..<7_200: "\(Int(magnitude / 60)) min"
            case ..<172_800: "\(Int(magnitude / 3_600)) h"
            default: "\(Int(magnitude / 86_400)) days"
            }
        return seconds >= 0 ? "in \(text)" : "\(text) ago"
    }

    /// A dry run's plan as the page shows it.
    static func dryRun(_ outcome: Reconciler.Outcome) -> DryRun {
        let plan = outcome.plan
        let reading =
            "Read through \(kindName(outcome.kind.rawValue)): \(outcome.mode == "incremental" ? "an" : "a") \(outcome.mode) listing"
            + (outcome.fullReason.map { ", because \($0)" } ?? "") + "; \(outcome.requests) request\(outcome.requests == 1 ? "" : "s")."
        let summary =
            outcome.mode == "full"
            ? "\(plan.directoryUsers) directory users, \(plan.ledgerUsers) ledger users (\(plan.activeUsers) active): \(plan.matched) matched, "
                + "\(plan.missing) missing from the directory, \(plan.notSignedIn) not signed in yet. Nothing was written."
            : "\(plan.directoryUsers == 1 ? "1 user" : "\(plan.directoryUsers) users") changed in the directory since the last run; "
                + "\(plan.matched) \(plan.matched == 1 ? "is a ledger user" : "are ledger users"). Nothing was written."
        return DryRun(
            summary: summary,
            reading: reading,
            valve: plan.safetyValve.map { "The safety valve would hold this plan: \($0)" },
            plan: MappingPageModel.result(plan.plan)
        )
    }
}
