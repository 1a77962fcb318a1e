import Foundation
import Hummingbird
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncReports

/// The Access review pages (`/admin/reviews`): reading needs `users:read`, completing a review
/// `users:edit`, as over the admin API.
struct ReviewPagesController: Sendable {
    let sync: SyncService
    let now: @Sendable () -> Date

    func addRoutes(to admin: RouterGroup<RoleSyncRequestContext>) {
        admin.page(.get, "reviews", .readUsers) { request, context in
            if let format = try AdminInput.exportFormat(request.uri.queryParameters) {
                let rows = try await self.sync.accessReviewHolders()
                return Export.review(rows, format: format, name: "access-review-holders", at: self.now()).response(context)
            }
            return try await self.page(context)
        }
        admin.page(.post, "reviews", .editUsers) { request, context in try await self.complete(request, context) }
        admin.page(.get, "reviews/{id}", .readUsers) { request, context in
            guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else { throw LedgerError.reviewNotFound(0) }
            let review = try await self.sync.accessReview(id: id)
            if let format = try AdminInput.exportFormat(request.uri.queryParameters) {
                return Export.review(review.rows, format: format, name: "access-review-\(id)", at: review.summary.completedAt).response(context)
            }
            let notice =
                request.uri.queryParameters.get("done") == "completed"
                ? "Review #\(id) recorded: \(review.summary.kept) kept, \(review.summary.revoked) to revoke. It is in the audit log (review.completed) with the rows' digest."
                : nil
            let model = ReviewPageModel(chrome: try Chrome("Access review #\(id)", .reviews, context, notice: notice), review: review)
            return PageRenderer.page("review", model)
        }
    }

    func page(
        _ context: RoleSyncRequestContext,
        decisions: [UserID: AccessReviewRow.Decision] = [:],
        error: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let caller = try context.requireIdentity()
        let model = ReviewsPageModel(
            chrome: try Chrome("Access review", .reviews, context, error: error),
            rows: try await sync.accessReviewHolders(),
            decisions: decisions,
            canComplete: caller.permissions.contains(.editUsers),
            past: try await sync.accessReviews()
        )
        return PageRenderer.page("reviews", model, status: status)
    }

    /// Records the review from the form (`decision-<user id>` = keep or revoke for each holder),
    /// then shows it; a missing decision or changed holders bring the page back, choices kept.
    func complete(_ request: Request, _ context: RoleSyncRequestContext) async throws -> Response {
        let caller = try context.requireIdentity()
        let form = try await PageForm(request)
        var decisions: [UserID: AccessReviewRow.Decision] = [:]
        for (name, value) in form.fields(prefixed: "decision-") {
            guard let id = Int64(name), let decision = AccessReviewRow.Decision(rawValue: value) else { continue }
            decisions[UserID(id)] = decision
        }
        let review: AccessReview
        do {
            review = try await sync.completeAccessReview(
                decisions: decisions,
                fingerprint: form.value("fingerprint") ?? "",
                by: caller.principal.actor
            )
        } catch let error as LedgerError {
            switch error {
            case .reviewIncomplete, .reviewOutdated:
                return try await page(context, decisions: decisions, error: "Not recorded: \(error).", status: error.httpStatus)
            default: throw error
            }
        }
        ReviewsController.log(review, by: caller, context)
        return PageRenderer.seeOther("/admin/reviews/\(review.summary.id)?done=completed")
    }
}
