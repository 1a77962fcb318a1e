import RoleSyncMapping
import Testing

@Suite("Claim paths")
struct ClaimPathTests {
    func resolve(_ path: String, _ json: String) throws -> ClaimPath.Resolution {
        try #require(ClaimPath(path)).resolve(in: try claims(json))
    }

    @Test func topLevelAndDotted() throws {
        #expect(try resolve("email", #"{"email":"a@b.c"}"#) == .value(.string("a@b.c")))
        #expect(try resolve("realm_access.roles", #"{"realm_access":{"roles":["admin"]}}"#) == .value(.array([.string("admin")])))
        #expect(try resolve("realm_access.roles", #"{"realm_access":["roles"]}"#) == .absent)
        #expect(try resolve("a.b.c", #"{"a":{"b":{"c":1}}}"#) == .value(.number(1)))
        #expect(try resolve("a.b.c", #"{"a":{"b":1}}"#) == .absent)
    }

    @Test("A top-level name with dots or slashes is matched whole first")
    func urlStyleClaims() throws {
        let json = #"{"https://example.com/claims/groups":["x"],"https://example":{"com/claims/groups":["y"]}}"#
        #expect(try resolve("https://example.com/claims/groups", json) == .value(.array([.string("x")])))
        #expect(
            try resolve("https://example.com/claims/groups", #"{"https://example":{"com/claims/groups":["y"]}}"#) == .value(.array([.string("y")]))
        )
    }

    @Test("Keys that span segments are found below the top level too (a client id with dots)")
    func dottedKeysInside() throws {
        let json = #"{"resource_access":{"my.app":{"roles":["admin"]}}}"#
        #expect(try resolve("resource_access.my.app.roles", json) == .value(.array([.string("admin")])))
        #expect(try resolve("resource_access.rolesync.roles", #"{"resource_access":{"rolesync":{"roles":["a"]}}}"#) == .value(.array([.string("a")])))
    }

    @Test func nullIsAbsent() throws {
        #expect(try resolve("groups", #"{"groups":null}"#) == .absent)
    }

    @Test("Claims named in _claim_names are unknown, not absent")
    func distributedClaimsAreUnknown() throws {
        let json = #"{"_claim_names":{"groups":"src1"},"_claim_sources":{"src1":{"endpoint":"https://graph.example/x"}}}"#
        #expect(try resolve("groups", json) == .unknown("groups"))
        #expect(try resolve("roles", json) == .absent)
        // A value sent anyway wins over the marker.
        #expect(try resolve("groups", #"{"groups":["a"],"_claim_names":{"groups":"src1"}}"#) == .value(.array([.string("a")])))
    }

    @Test(arguments: ["", "a..b", ".a", "a.", " a", "a "])
    func invalidPaths(_ raw: String) {
        #expect(ClaimPath(raw) == nil)
    }
}

@Suite("Distributed claims sent as null")
struct DistributedNullTests {
    @Test("A claim in _claim_names sent as null is unknown, not absent")
    func nullMarkedClaimIsUnknown() throws {
        let c = try claims(#"{"groups":null,"_claim_names":{"groups":"src1"}}"#)
        #expect(c.unknownNames == ["groups"])
        #expect(try #require(ClaimPath("groups")).resolve(in: c) == .unknown("groups"))
    }
}
