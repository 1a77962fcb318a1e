import Foundation
import RoleSyncOkta
import RoleSyncSCIM
import RoleSyncTestSupport
import Testing

extension OktaDirectoryTests {
    @Test("Users changed since the cursor (deprovisioned ones too), each read with their groups; the cursor looks back five minutes")
    func increment() async throws {
        let okta = org()
        let directory = directory(okta)
        let cursor = try #require(try await directory.startCursor())
        #expect(cursor.hasPrefix("okta 2027-01-15T07:55:10.000Z "), "five minutes before the listing: \(cursor)")
        let quiet = try #require(try await directory.changes(since: cursor).changes)
        #expect(quiet.users.isEmpty && quiet.removedIDs.isEmpty)

        okta.with { state in
            state.users[3].status = "DEPROVISIONED"
            state.users[3].lastUpdated = clock.now
        }
        let delta = try #require(try await directory.changes(since: quiet.cursor).changes)
        #expect(delta.users.map(\.id) == ["00u4"])
        #expect(delta.users.first?.isActive == false && delta.users.first?.groups == ["Everyone"] && delta.users.first?.groupIDs == ["00g1"])
        let lines = okta.with { $0.requests.map(\.line) }
        #expect(lines.contains { $0.hasPrefix("GET /api/v1/users?filter=lastUpdated%20gt%20%222027-01-15T07:55:10.000Z%22") })
        #expect(lines.contains("GET /api/v1/users/00u4/groups?limit=2"))
    }

    @Test("A group changed, created or deleted since the cursor asks for a full listing: Okta names a group's present members, not who left")
    func groupChanges() async throws {
        let okta = org()
        let directory = directory(okta)
        let cursor = try #require(try await directory.startCursor())
        okta.with { state in
            state.groups[1].members.removeAll()
            state.groups[1].lastMembershipUpdated = clock.now
        }
        #expect((try await directory.changes(since: cursor)).fullListingReason?.hasPrefix("group 'ml-platform-admins' changed in Okta") == true)

        let fresh = try #require(try await directory.startCursor())
        _ = okta.with { $0.groups.removeLast() }
        #expect((try await directory.changes(since: fresh)).fullListingReason == "a group was created or deleted in Okta")
        #expect((try await directory.changes(since: "not a cursor")).fullListingReason != nil)
    }
}
