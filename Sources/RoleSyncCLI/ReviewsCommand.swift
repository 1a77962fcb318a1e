import ArgumentParser
import Foundation
import RoleSyncConfig
import RoleSyncLedger
import RoleSyncReports

struct ReviewsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reviews",
        abstract: "Access reviews: who holds an admin role and why, and the completed reviews with their decisions.",
        discussion: """
            A reviewer completes a review on the dashboard (/admin/reviews) or over the admin API (POST \
            /api/admin/reviews), marking every holder keep or revoke; the review is stored with its rows and audited \
            as review.completed with the rows' SHA-256. Here: the holders to review now, the completed reviews, and \
            one review's rows (--format csv for the auditor's file).
            """,
        subcommands: [ReviewsHoldersCommand.self, ReviewsListCommand.self, ReviewsShowCommand.self]
    )
}

extension ListFormat {
    /// Prints a review's rows as a table (by role, with why and the decision), or as JSON, CSV or
    /// JSON lines.
    func print(_ rows: [AccessReviewRow], json: some Encodable, name: String, at time: Date) async throws {
        if let export {
            try await Export.review(rows, format: export, name: name, at: time).print()
            return
        }
        switch self {
        case .json, .csv, .jsonl:
            Output.line(try jsonText(json))
        case .human:
            var table = [["ROLE", "ID", "HOLDER", "WHY", "LAST SIGN-IN", "ACTIVE KEYS", "DECISION"]]
            for row in rows {
                table.append([
                    row.role.rawValue, "\(row.userID.rawValue)", row.email ?? row.name ?? "-", row.why, Timestamp.format(row.lastSignInAt) ?? "never",
                    "\(row.activeKeys)", row.decision?.rawValue ?? "-",
                ])
            }
            for line in formatTable(table) { Output.line(line) }
        }
    }
}

struct ReviewsHoldersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "holders",
        abstract: "Every active user holding an admin role (all roles but user), grouped by role, with why they hold it."
    )

    @OptionGroup var store: StoreOptions

    @Option(help: "Output format: human, json (with the fingerprint a completion sends back), csv or jsonl.")
    var format: ListFormat = .human

    func run() async throws {
        let ledger = try await store.open()
        let rows = try await ledger.service.accessReviewHolders()
        try await format.print(rows, json: AccessReviewHoldersReport(rows), name: "access-review-holders", at: Date())
        if format == .human { Output.line(plural(rows.count, "holder")) }
    }
}

struct ReviewsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "The completed access reviews, newest first: who, when, what was decided, the rows' digest."
    )

    @OptionGroup var store: StoreOptions

    @Option(help: "Output format: human or json.")
    var format: OutputFormat = .human

    func run() async throws {
        let ledger = try await store.open()
        let reviews = try await ledger.service.accessReviews()
        switch format {
        case .json:
            Output.line(try jsonText(PageReport(key: "reviews", items: reviews.map { AccessReviewReport($0) }, nextCursor: nil)))
        case .human:
            var table = [["ID", "COMPLETED", "REVIEWER", "HOLDERS", "KEPT", "TO REVOKE", "DIGEST"]]
            for r in reviews {
                table.append([
                    "\(r.id)", Timestamp.format(r.completedAt), r.reviewerName.map { "\($0) (\(r.reviewer))" } ?? r.reviewer.description,
                    "\(r.holders)", "\(r.kept)", "\(r.revoked)", r.digest,
                ])
            }
            for line in formatTable(table) { Output.line(line) }
            Output.line(plural(reviews.count, "review"))
        }
    }
}

struct ReviewsShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "One completed review: every holder as reviewed, with the decision."
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: ArgumentHelp("The review's id (from reviews list).", valueName: "id"))
    var id: Int64

    @Option(help: "Output format: human, json, csv or jsonl.")
    var format: ListFormat = .human

    func run() async throws {
        let ledger = try await store.open()
        let service = ledger.service
        let review = try await refusalsExit { try await service.accessReview(id: id) }
        if format == .human {
            let s = review.summary
            Output.line(
                "review \(s.id), completed \(Timestamp.format(s.completedAt)) by \(s.reviewer): \(s.holders) holders, \(s.kept) kept, \(s.revoked) to revoke"
            )
            Output.line("rows digest \(s.digest) (recorded in the review.completed audit event)")
        }
        try await format.print(
            review.rows,
            json: AccessReviewReport(review.summary, rows: review.rows),
            name: "access-review-\(id)",
            at: review.summary.completedAt
        )
    }
}
