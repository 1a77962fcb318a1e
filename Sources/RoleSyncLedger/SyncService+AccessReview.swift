package import Foundation
package import RoleSyncMapping

/// Access reviews (issue 27): who holds an admin role and why, and the reviewer's decisions.
extension SyncService {
    /// The roles a review covers: every role but `user`, in the role table's order.
    package static let reviewedRoles = Role.allCases.filter { $0 != .user }

    /// Every active user holding an admin role, grouped by role (``reviewedRoles``' order), by name
    /// within a role, each with why they hold it and how they use it. Reads a page of 500 holders
    /// at a time, with their keys and their last role change in one query each.
    package func accessReviewHolders() async throws -> [AccessReviewRow] {
        let time = now()
        var rows: [AccessReviewRow] = []
        for role in Self.reviewedRoles {
            var query = UsersQuery(role: role, status: .active, sort: .name, order: .ascending, limit: PageCursor.maximumPage)
            repeat {
                let page = try await store.users(matching: query)
                rows += try await reviewRows(page.users, at: time)
                query.cursor = page.nextCursor
            } while query.cursor != nil
        }
        return rows
    }

    /// The rows of `users`: the basis of each one's role (the IdP's rule, an override, or the
    /// last change by hand, with who made it), their keys' use, their last sign-in.
    func reviewRows(_ users: [User], at time: Date) async throws -> [AccessReviewRow] {
        guard !users.isEmpty else { return [] }
        // Active is the ledger's rule (APIKey.status): the engines only read the unrevoked keys.
        var keys: [UserID: (active: Int, lastUsedAt: Date?)] = [:]
        for key in try await store.unrevokedKeys(ownerIDs: users.map(\.id)) where key.status(at: time) == .active {
            let use = keys[key.userID] ?? (0, nil)
            keys[key.userID] = (use.active + 1, [use.lastUsedAt, key.lastUsedAt].compactMap { $0 }.max())
        }
        let eligibilities = Dictionary(uniqueKeysWithValues: users.map { ($0.id, eligibility(of: $0)) })
        let manual = users.filter { $0.override == nil && eligibilities[$0.id]?.isCovered != true }.map(\.id)
        let changes = try await store.lastRoleChanges(of: manual)
        let people = try await people(acting: changes.values.map(\.actor) + users.compactMap { $0.override?.grantedBy })
        func name(_ actor: Actor) -> String? {
            guard case .user(let id) = actor, let person = people[id] else { return nil }
            return [person.name, person.email.map { "<\($0)>" }].compactMap { $0 }.joined(separator: " ")
        }
        return users.map { user in
            let eligibility = eligibilities[user.id]
            let basis: AccessReviewRow.Basis =
                user.override != nil
                ? .override : eligibility?.isCovered == true ? .idp : eligibility?.unloadedIssuer != nil ? .unknown : .manual
            var row = AccessReviewRow(
                userID: user.id,
                name: user.name,
                email: user.email,
                role: user.role,
                basis: basis,
                lastSignInAt: user.lastSignInAt,
                activeKeys: keys[user.id]?.active ?? 0,
                keysLastUsedAt: keys[user.id]?.lastUsedAt
            )
            switch basis {
            case .idp:
                row.mappingFile = eligibility?.mappingFile
                row.rule = eligibility?.ruleID
            case .unknown:
                row.issuer = eligibility?.unloadedIssuer
            case .override:
                row.overrideUntil = user.override?.until
                row.overrideBy = user.override.map { name($0.grantedBy) ?? $0.grantedBy.description }
                row.overrideReason = user.override?.reason
            case .manual:
                if let change = changes[user.id] {
                    row.changedBy = change.actor.description
                    row.changedByName = name(change.actor)
                    row.changedAt = change.time
                }
            }
            return row
        }
    }

    /// Records a completed review: every holder as they are now, with the reviewer's decision,
    /// stored with a `review.completed` event (the counts and the rows' digest) in one transaction.
    /// - Parameters:
    ///   - decisions: keep or revoke, by user id; each holder needs one.
    ///   - fingerprint: ``AccessReview/fingerprint(of:)`` of the rows the reviewer saw.
    /// - Throws: ``LedgerError/reviewOutdated`` when the holders or their roles changed since,
    ///   ``LedgerError/reviewIncomplete(_:)`` when a holder has no decision; nothing is written.
    package func completeAccessReview(
        decisions: [UserID: AccessReviewRow.Decision],
        fingerprint: String,
        by actor: Actor
    ) async throws -> AccessReview {
        var rows = try await accessReviewHolders()
        guard AccessReview.fingerprint(of: rows) == fingerprint else { throw LedgerError.reviewOutdated }
        let undecided = rows.filter { decisions[$0.userID] == nil }.count
        guard undecided == 0 else { throw LedgerError.reviewIncomplete(undecided) }
        for index in rows.indices { rows[index].decision = decisions[rows[index].userID] }
        let kept = rows.filter { $0.decision == .keep }.count
        let time = now()
        var summary = AccessReviewSummary(
            id: 0,
            completedAt: time,
            reviewer: actor,
            reviewerName: nil,
            holders: rows.count,
            kept: kept,
            revoked: rows.count - kept,
            digest: try AccessReview.digest(of: rows)
        )
        let event = AuditEvent(
            time: time,
            actor: actor,
            action: .reviewCompleted,
            details: [
                .holders: .number(Double(rows.count)), .kept: .number(Double(kept)), .revoked: .number(Double(rows.count - kept)),
                .digest: .string(summary.digest),
            ]
        )
        summary.id = try await store.insertAccessReview(AccessReview(summary: summary, rows: rows), audit: event)
        return AccessReview(summary: summary, rows: rows)
    }

    /// The completed reviews, newest first, the reviewers named.
    package func accessReviews(limit: Int = 100) async throws -> [AccessReviewSummary] {
        try await named(try await store.accessReviews(limit: limit))
    }

    /// The people among `actors`, by id, read in one call.
    func people(acting actors: [Actor]) async throws -> [UserID: User] {
        var ids = Set<UserID>()
        for actor in actors { if case .user(let id) = actor { ids.insert(id) } }
        let users = try await store.users(ids: ids.sorted { $0.rawValue < $1.rawValue })
        return Dictionary(uniqueKeysWithValues: users.map { ($0.id, $0) })
    }

    /// The reviews with their reviewers named (a person's name, else email).
    func named(_ summaries: [AccessReviewSummary]) async throws -> [AccessReviewSummary] {
        var reviews = summaries
        let people = try await people(acting: reviews.map(\.reviewer))
        for index in reviews.indices {
            if case .user(let id) = reviews[index].reviewer, let person = people[id] {
                reviews[index].reviewerName = person.name ?? person.email
            }
        }
        return reviews
    }

    /// A completed review with its rows. - Throws: ``LedgerError/reviewNotFound(_:)``.
    package func accessReview(id: Int64) async throws -> AccessReview {
        guard var review = try await store.accessReview(id: id) else { throw LedgerError.reviewNotFound(id) }
        review.summary = try await named([review.summary])[0]
        return review
    }
}
