import Foundation
import RoleSyncOkta
import Testing

@Suite("Link header (RFC 8288)")
struct LinkHeaderTests {
    let base = URL(string: "https://example.okta.com/api/v1/users?limit=2")!

    @Test("Okta's two links, on one line or joined from two: the next page is found")
    func oktaLinks() {
        let field =
            #"<https://example.okta.com/api/v1/users?limit=2>; rel="self", <https://example.okta.com/api/v1/users?after=00u2&limit=2>; rel="next""#
        #expect(LinkHeader.target(field, relation: "next", base: base)?.absoluteString == "https://example.okta.com/api/v1/users?after=00u2&limit=2")
        #expect(LinkHeader.target(field, relation: "self", base: base)?.absoluteString == "https://example.okta.com/api/v1/users?limit=2")
        #expect(LinkHeader.target(field, relation: "prev", base: base) == nil)
    }

    @Test(
        "Relation types: several in one rel, any case, unquoted; only the first rel counts",
        arguments: [
            (#"<https://x.test/2>; rel="prefetch next""#, "https://x.test/2"),
            (#"<https://x.test/2>; REL=NEXT"#, "https://x.test/2"),
            (#"<https://x.test/2>; title="a, b; c"; rel="next""#, "https://x.test/2"),
            (#"<https://x.test/a,b>; rel=next"#, "https://x.test/a,b"),
            (#"</api/v1/users?after=9>; rel="next""#, "https://example.okta.com/api/v1/users?after=9"),
        ]
    )
    func relations(field: String, expected: String) {
        #expect(LinkHeader.target(field, relation: "next", base: base)?.absoluteString == expected)
    }

    @Test(
        "A malformed link counts for nothing; two next links are no answer either",
        arguments: [
            #"https://x.test/2; rel="next""#,
            #"<https://x.test/2>; rel="next"#,
            #"<https://x.test/2> rel="next""#,
            #"<https://x.test/2>; ="next""#,
            #"<https://x.test/2>; rel="first", <https://x.test/3>; rel="next"; rel="first", <https://x.test/4>; rel=next"#,
            #"<>; rel="next""#,
            #"<https://x.test/a b>; rel="next""#,
        ]
    )
    func refused(field: String) {
        #expect(LinkHeader.target(field, relation: "next", base: base) == nil)
    }

    @Test("Later links survive an earlier malformed one")
    func skipsMalformed() {
        let field = #"<https://x.test/1>; rel="self" junk, <https://x.test/2>; rel="next""#
        #expect(LinkHeader.links(field) == [LinkHeader.Link(target: "https://x.test/2", relations: ["next"])])
    }

    @Test("Arbitrary text never traps and never yields a link without a target")
    func arbitraryText() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array(#"<>;,="\ relnxt:/.ab"#)
        for _ in 0..<5_000 {
            let length = Int.random(in: 0...40, using: &generator)
            let text = String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
            for link in LinkHeader.links(text) {
                #expect(!link.target.isEmpty && !link.target.contains(" "), "\(text)")
            }
        }
    }
}
