import Foundation
import Logging
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncSQLite
import RoleSyncTestSupport
import Testing

/// `rolesync reviews` end to end: the holders of an operator-sized demo ledger, and a completed
/// review read back as the auditor's CSV.
@Suite("rolesync reviews")
struct ReviewsCLITests {
    @Test("holders lists every admin role holder with why; list and show read a completed review, as CSV for Python's csv module")
    func reviews() async throws {
        let scratch = try ScratchFolder("reviews")
        let database = scratch.path("ledger.sqlite")
        #expect(try Rolesync.run(["demo", "--database", database, "--people", "40"]).status == 0)

        let holders = try Rolesync.run(["reviews", "holders", "--database", database])
        #expect(holders.status == 0, "\(holders.stderr)")
        #expect(holders.stdout.hasPrefix("ROLE") && holders.stdout.contains("super_admin") && !holders.stdout.contains("\nuser "))
        let csv = try Rolesync.run(["reviews", "holders", "--database", database, "--format", "csv"])
        let rows = try PythonCSV.rows(of: Data(csv.stdout.utf8))
        #expect(rows.first?.prefix(3) == ["role", "user_id", "name"])
        #expect(rows.count > 10 && rows.dropFirst().allSatisfy { $0[0] != "user" && !$0[5].isEmpty && $0.last == "" })
        let none = try Rolesync.run(["reviews", "list", "--database", database])
        #expect(none.stdout.contains("0 reviews"))

        // A review completed as the dashboard does, then read back.
        let store = try SQLiteLedgerStore(path: database)
        let service = SyncService(store: store, mappings: MappingRegistry(MappingSet.build([]).set), logger: Logger(label: "test"))
        let current = try await service.accessReviewHolders()
        let decisions = Dictionary(uniqueKeysWithValues: current.enumerated().map { ($1.userID, $0 == 0 ? AccessReviewRow.Decision.revoke : .keep) })
        let review = try await service.completeAccessReview(decisions: decisions, fingerprint: AccessReview.fingerprint(of: current), by: .cli)

        let list = try Rolesync.run(["reviews", "list", "--database", database])
        #expect(list.stdout.contains(review.summary.digest) && list.stdout.contains("1 review"), "\(list.stdout)")
        let shown = try Rolesync.run(["reviews", "show", "\(review.summary.id)", "--database", database])
        #expect(shown.stdout.contains("\(current.count) holders, \(current.count - 1) kept, 1 to revoke"), "\(shown.stdout)")
        let file = try Rolesync.run(["reviews", "show", "\(review.summary.id)", "--database", database, "--format", "csv"])
        let decided = try PythonCSV.rows(of: Data(file.stdout.utf8))
        #expect(decided.count == current.count + 1 && decided.dropFirst().filter { $0.last == "revoke" }.count == 1)
        let missing = try Rolesync.run(["reviews", "show", "999", "--database", database])
        #expect(missing.status == 1 && missing.stderr.contains("no access review has id 999"), "\(missing.stderr)")
    }
}
