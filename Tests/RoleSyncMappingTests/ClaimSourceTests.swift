import Foundation
import RoleSyncJSON
import RoleSyncMapping
import Testing

@Suite("Distributed claims resolved elsewhere")
struct ClaimSourceTests {
    static let overage = #"{"sub":"a","_claim_names":{"groups":"src1"},"_claim_sources":{"src1":{"endpoint":"https://graph.microsoft.com/x"}}}"#
    static let pushed = ClaimSource(via: .scimPush, asOf: Date(timeIntervalSince1970: 1_800_000_000), ageSeconds: 240)

    @Test("Resolving a distributed claim makes it known and notes its source; null resolves nothing")
    func resolving() throws {
        let token = try claims(Self.overage)
        #expect(token.unknownNames == ["groups"])
        let resolved = token.resolving(["groups": .array(["finance"]), "department": .null], from: Self.pushed)
        #expect(resolved.unknownNames.isEmpty)
        #expect(resolved.values["groups"] == .array(["finance"]) && resolved.values["department"] == nil)
        #expect(resolved.sources == ["groups": Self.pushed])
        #expect(resolved.withoutSources.sources.isEmpty && resolved.withoutSources.values == resolved.values)
        let stillUnknown = token.resolving(["groups": .null], from: Self.pushed)
        #expect(stillUnknown.unknownNames == ["groups"] && stillUnknown.sources.isEmpty)
    }

    @Test("The decision rests on the resolved value, and the trace names its source and age")
    func traced() throws {
        let mapping = try ruleMapping("{ all: [ { claim: groups, contains: finance }, { claim: sub, equals: a } ] }")
        let unknown = mapping.evaluate(try claims(Self.overage))
        #expect(!unknown.isCovered && unknown.unknownClaims == ["groups"] && unknown.claimSources.isEmpty)
        let decision = mapping.evaluate(try claims(Self.overage).resolving(["groups": .array(["finance"])], from: Self.pushed))
        #expect(decision.isCovered && decision.unknownClaims.isEmpty && decision.claimSources == ["groups": Self.pushed])
        let all = try #require(decision.trace?.first?.condition)
        #expect(all.children.map { $0.source } == ["claim 'groups' from the directory (SCIM push), 4 min old", nil])
        #expect(all.children[0].detail == #"element "finance" of ["finance"] matches"#)
    }

    @Test("A claim path below a resolved claim carries its source too")
    func nestedPath() throws {
        let token = try claims(#"{"_claim_names":{"roles":"src1"}}"#)
        let resolved = token.resolving(["roles": .object(["app": .array(["admin"])])], from: Self.pushed)
        let trace = try #require(try ruleMapping("{ claim: roles.app, contains: admin }").evaluate(resolved).trace?.first?.condition)
        #expect(trace.outcome == .held && trace.source == "claim 'roles' from the directory (SCIM push), 4 min old")
    }

    @Test(
        "Ages read in whole units, rounded down",
        arguments: [
            (ClaimSource.Via.scimPull, 0, "the directory (SCIM pull), read now"),
            (.scimPull, -3, "the directory (SCIM pull), read now"),
            (.scimPush, 42, "the directory (SCIM push), 42 s old"),
            (.scimPush, 119, "the directory (SCIM push), 1 min old"),
            (.scimPush, 3 * 3_600 + 59, "the directory (SCIM push), 3 h old"),
            (.scimPush, 2 * 86_400 + 1, "the directory (SCIM push), 2 d old"),
            (.claimSourceEndpoint(host: "graph.microsoft.com"), 0, "the token's claim source (graph.microsoft.com), read now"),
        ]
    )
    func ages(via: ClaimSource.Via, seconds: Int, summary: String) {
        let source = ClaimSource(via: via, asOf: Date(timeIntervalSince1970: 0), ageSeconds: seconds)
        #expect(source.summary == summary)
        #expect(source.ageSeconds == max(0, seconds))
    }

    @Test("The trace's JSON has a source only where there is one, so traces of token claims read as before")
    func json() throws {
        let mapping = try ruleMapping("{ claim: groups, contains: finance }")
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let plain = try #require(mapping.evaluate(try claims(#"{"groups":["finance"]}"#)).trace?.first?.condition)
        #expect(!String(decoding: try encoder.encode(plain), as: UTF8.self).contains("source"))
        let resolved = try claims(Self.overage).resolving(["groups": .array(["finance"])], from: Self.pushed)
        let noted = try #require(mapping.evaluate(resolved).trace?.first?.condition)
        #expect(
            String(decoding: try encoder.encode(noted), as: UTF8.self).contains(
                #""source":"claim 'groups' from the directory (SCIM push), 4 min old""#
            )
        )
    }
}
