import Foundation
import RoleSyncJSON
import Testing

/// The strict reader every module parses outside JSON with, and base64url.
@Suite("JSON and base64url")
struct JSONTests {
    @Test("Values keep their JSON types; a duplicate member keeps its last value")
    func values() throws {
        let value = try ClaimValue(json: Data(#"{"a":"true","b":true,"c":1.5,"d":[null,{}],"a":"last"}"#.utf8))
        #expect(value == .object(["a": "last", "b": true, "c": .number(1.5), "d": .array([.null, .object([:])])]))
        #expect(value.objectValue?["d"]?.arrayValue?.count == 2)
        #expect(value.jsonText == #"{"a":"last","b":true,"c":1.5,"d":[null,{}]}"#)
    }

    @Test(
        "Anything but RFC 8259 JSON is refused with its line and column",
        arguments: [
            ("{\"a\":1,}", 1, 8), ("[1,\n 2,\n x]", 3, 2), ("'a'", 1, 1), ("{\"a\" 1}", 1, 6), ("", 1, 1), ("1 2", 1, 3),
            ("\"\\x\"", 1, 3), ("[01]", 1, 3),
        ]
    )
    func refused(_ text: String, line: Int, column: Int) throws {
        let error = try #require(throws: JSONError.self) { try ClaimValue(json: Data(text.utf8)) }
        #expect(error.line == line, "\(text): \(error)")
        #expect(error.column == column, "\(text): \(error)")
        #expect(error.description.hasPrefix("not valid JSON: "))
    }

    @Test("Nesting deeper than the limit is refused, not a stack overflow")
    func depth() throws {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONError.self) { try ClaimValue(json: Data(deep.utf8)) }
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(try ClaimValue(json: Data(fine.utf8)) != .null)
    }

    @Test("base64url round-trips every length and refuses padding, other alphabets and non-canonical tails")
    func base64url() throws {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let text = Base64URL.encode(bytes)
            #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"))
            #expect(Base64URL.decode(text) == Data(bytes))
        }
        #expect(Base64URL.decode("AQ==") == nil)
        #expect(Base64URL.decode("a+b/") == nil)
        #expect(Base64URL.decode("A") == nil)
        #expect(Base64URL.decode("AR") == nil, "the last character carries bits that must be zero")
        let token = Base64URL.random()
        #expect(token.utf8.count == 43 && Base64URL.decode(token)?.count == 32)
        #expect(Base64URL.random() != token)
    }

    struct Document: Decodable, Equatable {
        struct Item: Decodable, Equatable {
            var name: String
            var count: Int
        }

        var title: String
        var items: [Item]
        var enabled: Bool?
        var note: String?
    }

    @Test("Decodable types read a value strictly and name the member at fault")
    func decode() throws {
        let good = try ClaimValue(json: Data(#"{"title":"t","items":[{"name":"a","count":2}],"note":null,"extra":1}"#.utf8))
        #expect(try good.decode(Document.self) == Document(title: "t", items: [.init(name: "a", count: 2)], enabled: nil, note: nil))
        let cases: [(String, String)] = [
            (#"{"items":[]}"#, "'title' is missing"),
            (#"{"title":1,"items":[]}"#, "'title' must be a string, found number"),
            (#"{"title":"t","items":[{"name":"a","count":1.5}]}"#, "'items[0].count' must be a whole number in range, found number"),
            (#"{"title":"t","items":[{"name":"a","count":"2"}]}"#, "'items[0].count' must be a whole number in range, found string"),
            (#"{"title":"t","items":{}}"#, "'items' must be a list, found object"),
            (#"{"title":"t","items":[],"enabled":"yes"}"#, "'enabled' must be a boolean, found string"),
            (#"[]"#, "'' must be an object, found list"),
        ]
        for (text, reason) in cases {
            let value = try ClaimValue(json: Data(text.utf8))
            let error = try #require(throws: (any Error).self) { try value.decode(Document.self) }
            #expect(JSONDecodeFailure(error).description == reason, "\(text)")
        }
    }
}
