import Foundation
import Hummingbird
import Logging
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncReports

/// Access reviews over the admin API (`/api/admin/reviews...`): the holders to review now, a
/// review completed with every decision, and the completed reviews with their rows.
struct ReviewsController: Sendable {
    let sync: SyncService
    let now: @Sendable () -> Date

    func addRoutes(to admin: RouterGroup<RoleSyncRequestContext>) {
        admin.on(.reviewHolders) { request, context in try await self.holders(request, context) }
        admin.on(.completeReview) { request, context in try await self.complete(request, context) }
        admin.on(.reviews) { _, _ in
            JSONBody(PageReport(key: "reviews", items: try await self.sync.accessReviews().map { AccessReviewReport($0) }, nextCursor: nil))
        }
        admin.on(.review) { request, context in try await self.review(request, context) }
    }

    /// The holders now, with the fingerprint a completion sends back; or their CSV or JSON lines.
    func holders(_ request: Request, _ context: RoleSyncRequestContext) async throws -> Response {
        let format = try AdminInput.exportFormat(request.uri.queryParameters)
        let rows = try await sync.accessReviewHolders()
        if let format { return Export.review(rows, format: format, name: "access-review-holders", at: now()).response(context) }
        return try JSONBody(AccessReviewHoldersReport(rows)).response(from: request, context: context)
    }

    /// `{"fingerprint": "…", "decisions": {"12": "keep", "31": "revoke"}}`: every holder's
    /// decision, for the holders the fingerprint names.
    func complete(_ request: Request, _ context: RoleSyncRequestContext) async throws -> EditedResponse<JSONBody<AccessReviewReport>> {
        let caller = try context.requireIdentity()
        let members = try await AdminInput.jsonObject(request, allowed: ["fingerprint", "decisions"], what: "'fingerprint' and 'decisions'")
        guard case .string(let fingerprint)? = members["fingerprint"], !fingerprint.isEmpty else {
            throw AdminInputError.unprocessable("fingerprint", "'fingerprint' is required: the one GET /api/admin/reviews/current answered")
        }
        guard case .object(let object)? = members["decisions"] else {
            throw AdminInputError.unprocessable("decisions", "'decisions' is required: an object of user id to \"keep\" or \"revoke\"")
        }
        let decisions = try Self.decisions(object)
        let review: AccessReview
        do {
            review = try await sync.completeAccessReview(decisions: decisions, fingerprint: fingerprint, by: caller.principal.actor)
        } catch let error as LedgerError {
            switch error {
            case .reviewIncomplete, .reviewOutdated:
                throw AdminInputError(status: error.httpStatus, field: "decisions", detail: error.description)
            default: throw error
            }
        }
        Self.log(review, by: caller, context)
        return EditedResponse(status: .created, response: JSONBody(AccessReviewReport(review.summary, rows: review.rows)))
    }

    /// A completed review with its rows; or its CSV or JSON lines.
    func review(_ request: Request, _ context: RoleSyncRequestContext) async throws -> Response {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw AdminInputError.badRequest("id", "the review id is a positive integer")
        }
        let format = try AdminInput.exportFormat(request.uri.queryParameters)
        let review = try await sync.accessReview(id: id)
        if let format {
            return Export.review(review.rows, format: format, name: "access-review-\(id)", at: review.summary.completedAt).response(context)
        }
        return try JSONBody(AccessReviewReport(review.summary, rows: review.rows)).response(from: request, context: context)
    }

    /// Decisions as sent: user ids to `keep` or `revoke`.
    static func decisions(_ object: [String: ClaimValue]) throws -> [UserID: AccessReviewRow.Decision] {
        var decisions: [UserID: AccessReviewRow.Decision] = [:]
        for (key, value) in object {
            guard let id = Int64(key), id > 0 else { throw AdminInputError.unprocessable("decisions", "'\(key)' is not a user id") }
            guard case .string(let text) = value, let decision = AccessReviewRow.Decision(rawValue: text) else {
                throw AdminInputError.unprocessable("decisions", "the decision for user \(key) is \"keep\" or \"revoke\"")
            }
            decisions[UserID(id)] = decision
        }
        return decisions
    }

    static func log(_ review: AccessReview, by caller: Caller, _ context: RoleSyncRequestContext) {
        context.logger.notice(
            "access review completed",
            metadata: [
                "review_id": "\(review.summary.id)", "holders": "\(review.summary.holders)", "kept": "\(review.summary.kept)",
                "revoked": "\(review.summary.revoked)", "actor": "\(caller.principal.actor)",
            ]
        )
    }
}
