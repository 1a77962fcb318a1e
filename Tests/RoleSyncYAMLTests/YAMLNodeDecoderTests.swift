import RoleSyncJSON
import RoleSyncYAML
import Testing
import Yams

/// The decoder over positioned nodes: every problem at once, each with its line and column.
@Suite("YAML node decoder")
struct YAMLNodeDecoderTests {
    struct Server: Decodable, Equatable {
        var name: Located<String>?
        var port: Int?
        var secure: Bool?
        var tags: [String]?
        var routes: [Route]?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case name, port, secure, tags, routes
        }
    }

    struct Route: Decodable, Equatable {
        var path: String
        var upstream: Located<String>?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case path, upstream
        }
    }

    /// Required keys reported up front, so the other keys are still read.
    struct Account: Decodable {
        var id: String?
        var role: String?
        var note: String?

        enum CodingKeys: String, CodingKey, CaseIterable, RequiredKeys {
            case id, role, note
            static let required: [Self] = [.id, .role]
        }
    }

    func decode<T: Decodable>(_ type: T.Type, _ yaml: String) throws -> (value: T?, errors: [String]) {
        let node = try #require(try Yams.compose(yaml: yaml, Resolver.basic))
        let (value, diagnostics) = YAMLNodeDecoder(file: "f.yaml", rootName: "the file").decode(type, from: node)
        return (value, diagnostics.map(\.description))
    }

    @Test("A well-formed document decodes, values located where they are written")
    func valid() throws {
        let (server, errors) = try decode(
            Server.self,
            "name: edge\nport: 8080\nsecure: true\ntags: [a, b]\nroutes:\n  - path: /a\n    upstream: http://a\n  - { path: /b }\n"
        )
        #expect(errors.isEmpty)
        let decoded = try #require(server)
        #expect(decoded.name?.value == "edge")
        #expect(decoded.name?.location == SourceLocation(file: "f.yaml", line: 1, column: 7))
        #expect(decoded.port == 8080 && decoded.secure == true && decoded.tags == ["a", "b"])
        #expect(decoded.routes?.map(\.path) == ["/a", "/b"])
        #expect(decoded.routes?.first?.upstream?.location == SourceLocation(file: "f.yaml", line: 7, column: 15))
    }

    @Test("Every error is reported at once, in file order, each at its node")
    func allErrors() throws {
        let (server, errors) = try decode(Server.self, "name: [x]\nport: eighty\nsecure: yes\nprot: 1\n")
        #expect(
            errors == [
                "f.yaml:1:7: error: name must be a string, found a list",
                "f.yaml:2:7: error: port must be a number, found a string",
                "f.yaml:3:9: error: secure must be true or false, found a string",
                "f.yaml:4:1: error: unknown key 'prot' in the file; did you mean 'port'? (allowed: name, port, secure, tags, routes)",
            ]
        )
        // Each bad value was left out; the mapping itself still decoded.
        #expect(server == Server())
    }

    @Test("An unknown key names the key, the mapping it is in, and the allowed keys")
    func unknownKey() throws {
        let (_, errors) = try decode(Server.self, "routes:\n  - path: /a\n    upstrem: http://a\n")
        #expect(errors == ["f.yaml:3:5: error: unknown key 'upstrem' in routes[0]; did you mean 'upstream'? (allowed: path, upstream)"])
    }

    @Test(
        "A type mismatch says what was found",
        arguments: [
            ("tags: x\n", "f.yaml:1:7: error: tags must be a list, found a string"),
            ("routes: {path: /a}\n", "f.yaml:1:9: error: routes must be a list, found a mapping"),
            ("routes: [/a]\n", "f.yaml:1:10: error: routes[0] must be a mapping, found a string"),
            ("tags: [a, 1]\n", "f.yaml:1:11: error: tags[1] must be a string, found a number"),
            ("port: 80.5\n", "f.yaml:1:7: error: port must be a whole number in range, found 80.5"),
            ("name:\n", "f.yaml:1:6: error: name must be a string, found a null"),
        ]
    )
    func mismatch(yaml: String, expected: String) throws {
        let (_, errors) = try decode(Server.self, yaml)
        #expect(errors == [expected])
    }

    @Test("Each element of a list of mappings is checked, not only the first that fails")
    func nestedLists() throws {
        let (server, errors) = try decode(
            Server.self,
            "routes:\n  - upstream: http://a\n  - path: 5\n  - path: /c\n    upstream: [x]\n"
        )
        #expect(
            errors == [
                "f.yaml:2:5: error: routes[0] lacks 'path'",
                "f.yaml:3:11: error: routes[1].path must be a string, found a number",
                "f.yaml:5:15: error: routes[2].upstream must be a string, found a list",
            ]
        )
        // A list with a bad element is left out as a whole.
        #expect(server?.routes == nil)
    }

    @Test("Plain scalars follow YAML 1.2's core schema, not 1.1's: yes, on, 1_000 and 12:30 stay strings, 017 is decimal")
    func coreSchema() throws {
        let (tags, errors) = try decode([String].self, "- yes\n- no\n- on\n- off\n- y\n- 1_000\n- 12:30\n- \"017\"\n")
        #expect(errors.isEmpty)
        #expect(tags == ["yes", "no", "on", "off", "y", "1_000", "12:30", "017"])
        // 017 is the decimal 17 (YAML 1.1 read it as octal 15); 0o17 is octal.
        #expect(try decode([Int].self, "[017, 0o17, 0x1F]").value == [17, 15, 31])
        // A plain 017 is a number, not a string; nothing is coerced.
        #expect(try decode([String].self, "[017]").errors == ["f.yaml:1:2: error: [0] must be a string, found a number"])
        #expect(
            try decode([ClaimValue].self, "[true, ~, 1e3, .inf, 'true']").value == [
                .bool(true), .null, .number(1000), .number(.infinity), .string("true"),
            ]
        )
    }

    @Test("A missing required key is reported; with RequiredKeys the mapping's other problems are too")
    func missingKey() throws {
        let (route, errors) = try decode(Route.self, "upstream: [x]\n")
        #expect(errors == ["f.yaml:1:1: error: the file lacks 'path'"])
        #expect(route == nil)

        let (account, accountErrors) = try decode(Account.self, "note: 5\n")
        #expect(
            accountErrors == [
                "f.yaml:1:1: error: the file lacks 'id'",
                "f.yaml:1:1: error: the file lacks 'role'",
                "f.yaml:1:7: error: note must be a string, found a number",
            ]
        )
        #expect(account != nil && account?.id == nil)
    }

    @Test("Keys must be plain names; a document that is not a mapping says what it is")
    func shapes() throws {
        #expect(try decode(Server.self, "[a]: 1\n").errors == ["f.yaml:1:1: error: the file keys must be plain names, found a list"])
        #expect(try decode(Server.self, "- a\n").errors == ["f.yaml:1:1: error: the file must be a mapping, found a list"])
        #expect(try decode(Server.self, "- a\n").value == nil)
    }
}
