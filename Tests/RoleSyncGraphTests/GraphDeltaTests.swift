import Foundation
import RoleSyncGraph
import RoleSyncSCIM
import RoleSyncTestSupport
import Testing

extension GraphDirectoryTests {
    /// The changes of an increment, or a failed expectation.
    @Test(
        "A delta cursor taken before a listing; the next increment names changed and joined users, each read whole with nested groups, and the deleted"
    )
    func increment() async throws {
        let graph = tenant()
        let directory = directory(graph)
        let cursor = try #require(try await directory.startCursor(keeping: ["department"]))
        #expect(graph.with { $0.requests }.contains { $0.hasPrefix("GET /v1.0/users/delta?$select=") && $0.hasSuffix("$deltatoken=latest") })
        let quiet = try #require(try await directory.changes(since: cursor, keeping: []).changes)
        #expect(quiet.users.isEmpty && quiet.removedIDs.isEmpty, "nothing changed yet")

        graph.change { state in
            state.users[3].accountEnabled = false  // dee leaves
            state.groups[1].members.append("u-bob")  // bob joins Platform (and so Admins)
            state.users.removeAll { $0.id == "u-cy" }
            return [.user("u-dee"), .member(group: "g-platform", member: "u-bob", removed: false), .userRemoved("u-cy")]
        }
        let delta = try #require(try await directory.changes(since: quiet.cursor, keeping: ["department"]).changes)
        let users = Dictionary(uniqueKeysWithValues: delta.users.map { ($0.id, $0) })
        #expect(users.keys.sorted() == ["u-bob", "u-dee"])
        #expect(users["u-dee"]?.isActive == false && users["u-dee"]?.groups == ["All Staff"])
        #expect(users["u-bob"]?.groups == ["Admins", "All Staff", "Ops", "Platform"], "nested: Platform in Admins, in a circle with Ops")
        #expect(users["u-bob"]?.groupIDs == ["g-admins", "g-all", "g-ops", "g-platform"], "the directory role is not a group")
        #expect(delta.removedIDs == ["u-cy"])

        let after = try #require(try await directory.changes(since: delta.cursor, keeping: []).changes)
        #expect(after.users.isEmpty && after.removedIDs.isEmpty, "the new cursor starts after these changes")
        #expect(after.cursor == delta.cursor)
    }

    @Test("A user the delta names but Graph no longer has is deleted")
    func deletedBetween() async throws {
        let graph = tenant()
        let directory = directory(graph)
        let cursor = try #require(try await directory.startCursor(keeping: []))
        graph.change { state in
            state.users.removeAll { $0.id == "u-ada" }
            return [.user("u-ada")]
        }
        let delta = try #require(try await directory.changes(since: cursor, keeping: []).changes)
        #expect(delta.users.isEmpty && delta.removedIDs == ["u-ada"])
    }

    @Test(
        "Changes only a full listing can place ask for one: a group renamed, deleted or nested anew",
        arguments: [
            (FakeGraph.Change.group("g-ops"), "a group was created or renamed"),
            (.groupRemoved("g-ops"), "a group was deleted"),
            (.member(group: "g-all", member: "g-ops", removed: false), "a group was nested in or taken out of another"),
        ]
    )
    func needsFull(change: FakeGraph.Change, reason: String) async throws {
        let graph = tenant()
        let directory = directory(graph)
        let cursor = try #require(try await directory.startCursor(keeping: []))
        graph.change { _ in [.user("u-ada"), change] }
        #expect((try await directory.changes(since: cursor, keeping: [])).fullListingReason == reason)
    }

    @Test("A delta token Graph forgot (410 syncStateNotFound) asks for a full listing, not an error")
    func forgotten() async throws {
        let graph = tenant()
        let directory = directory(graph)
        let cursor = try #require(try await directory.startCursor(keeping: []))
        graph.change { state in
            state.forgottenBefore = 1
            return [.user("u-ada")]
        }
        let reason = try #require((try await directory.changes(since: cursor, keeping: [])).fullListingReason)
        #expect(reason.contains("HTTP 410") && reason.contains("syncStateNotFound"))
    }

    @Test("A stored cursor pointing anywhere but the Graph root is not followed; a cursor that is not one asks for a full listing")
    func foreignCursor() async throws {
        let graph = tenant()
        let directory = directory(graph)
        let foreign =
            #"{"groups":"https://evil.example/v1.0/groups/delta?$deltatoken=0","users":"https://evil.example/v1.0/users/delta?$deltatoken=0"}"#
        #expect((try await directory.changes(since: foreign, keeping: [])).fullListingReason != nil)
        #expect((try await directory.changes(since: "okta 2026-12-07T00:00:00.000Z abc", keeping: [])).fullListingReason != nil)
        #expect(graph.with { $0.requests }.isEmpty, "no request, no token sent anywhere")
    }

    @Test("More changed users than a full listing costs asks for one")
    func tooMany() async throws {
        let graph = tenant()
        let directory = directory(graph, pageSize: 999)
        let cursor = try #require(try await directory.startCursor(keeping: []))
        graph.change { _ in (0...GraphDirectory.maximumChangedUsers).map { .user("u-\($0)") } }
        let reason = try #require((try await directory.changes(since: cursor, keeping: [])).fullListingReason)
        #expect(reason.contains("users changed"))
    }
}
