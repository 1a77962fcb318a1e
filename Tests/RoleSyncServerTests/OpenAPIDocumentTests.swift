import Foundation
import Hummingbird
import HummingbirdTesting
import RoleSyncConfig
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncServer
import Testing

/// The OpenAPI document matches the routes: the admin route table, and docs/openapi.json.
@Suite("OpenAPI document")
struct OpenAPIDocumentTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `docs/openapi.json`, the document to edit, which the server embeds and serves.
    static var text: String {
        get throws { try String(contentsOf: packageRoot.appendingPathComponent("docs/openapi.json"), encoding: .utf8) }
    }

    var document: [String: ClaimValue] {
        get throws {
            let parsed = try ClaimValue(json: Data(try Self.text.utf8))
            guard case .object(let members) = parsed else { throw DocumentError.notAnObject }
            return members
        }
    }

    enum DocumentError: Error { case notAnObject }

    @Test("The document describes exactly the router's routes (SCIM describes itself), nothing more or less")
    func routesAreTheRouters() async throws {
        let harness = try await SignInHarness()
        let router = harness.context.makeRouter()
        // The dashboard's pages and files are for browsers, not API clients (docs/dashboard.md).
        let pages = ["/scim/v2", "/admin", "/console", "/assets"]
        let routed = Set(
            router.routes.filter { route in !pages.contains { "\(route.path)".hasPrefix($0) } }.map {
                // The check's prefix (`**`, any depth) is a path parameter in OpenAPI.
                "\($0.method.rawValue) \("\($0.path)".replacingOccurrences(of: "/**", with: "/{original_path}"))"
            }
        )
        let paths = try #require(try document["paths"]?.objectValue)
        var documented = Set<String>()
        for (path, item) in paths {
            for method in (item.objectValue ?? [:]).keys where method != "parameters" { documented.insert("\(method.uppercased()) \(path)") }
        }
        #expect(
            routed == documented,
            "routed but undocumented: \(routed.subtracting(documented).sorted()); documented but not routed: \(documented.subtracting(routed).sorted())"
        )
        #expect(routed.count > 10)
    }

    @Test("Every enum of directory kinds names exactly the kinds the configuration takes")
    func directoryKinds() throws {
        let kinds = Set(DirectoryKind.allCases.map(\.rawValue))
        var found = 0
        func visit(_ value: ClaimValue) {
            switch value {
            case .object(let members):
                // A kind enum that names `scim` is one of directory kinds (another `kind` is a role's source).
                if case .object(let kind)? = members["kind"], case .array(let names)? = kind["enum"], names.contains("scim") {
                    found += 1
                    #expect(Set(names.compactMap(\.stringValue)) == kinds, "\(names)")
                }
                members.values.forEach(visit)
            case .array(let items): items.forEach(visit)
            default: break
            }
        }
        visit(.object(try document))
        #expect(found >= 2)
    }

    @Test("Every admin route is documented with its parameters and security")
    func adminRoutes() throws {
        let paths = try #require(try document["paths"]?.objectValue)
        for route in AdminRoute.all {
            guard case .object(let item)? = paths[route.path],
                case .object(let operation)? = item[route.method.rawValue.lowercased()]
            else {
                Issue.record("\(route.method) \(route.path) undocumented")
                continue
            }
            var names: [String] = []
            if case .array(let parameters)? = operation["parameters"] {
                for case .object(let p) in parameters where p["in"] == .string("query") { names.append(p["name"]?.stringValue ?? "") }
            }
            #expect(names.sorted() == route.queryParameters.sorted(), "\(route.path)")
            #expect(operation["security"] != nil, "\(route.path) has no security")
            let responses = try #require(operation["responses"]?.objectValue, "\(route.path)")
            let success = route == .createKey || route == .rollKey || route == .completeReview ? "201" : route == .webhookRetry ? "202" : "200"
            for status in [success, "400", "401", "403"] { #expect(responses[status] != nil, "\(route.path) lacks \(status)") }
        }
    }

    /// Ids no record has: a routed path answers its own 404 (`user_not_found`, `key_not_found`),
    /// never the router's `not_found`, and nothing is changed.
    @Test("Every documented path is routed: no router 404 (and /openapi.json serves the document)")
    func documentedPathsExist() async throws {
        let harness = try await AdminHarness()
        let paths = try #require(try document["paths"]?.objectValue)
        try await harness.test { client in
            for (path, item) in paths {
                guard case .object(let operations) = item else { continue }
                for method in operations.keys where method != "parameters" {
                    let response = try await client.execute(
                        uri: path.replacingOccurrences(of: "{id}", with: "999999"),
                        method: HTTPRequest.Method(rawValue: method.uppercased())!,
                        headers: harness.auth(.superAdmin)
                    )
                    let routerNotFound =
                        response.status == .notFound && (try? AdminHarness.json(response))?["code"] == .string("not_found")
                    #expect(!routerNotFound, "\(method) \(path)")
                    // A path with a name no record has (`{id}`, `{name}`, `{event_id}`) answers its own 404.
                    #expect(response.status != .notFound || path.contains("{id") || path.contains("{name}") || path == "/metrics", "\(method) \(path)")
                }
            }
            let served = try await client.execute(uri: "/openapi.json", method: .get)
            #expect(served.status == .ok)
            #expect(served.headers[.contentType] == "application/json")
            #expect(String(buffer: served.body) == (try Self.text), "the served document is docs/openapi.json, embedded")
        }
    }
}

extension OpenAPIDocumentTests {
    @Test("The document's roles and audit actions are the ledger's")
    func enumerations() throws {
        guard case .object(let components)? = try document["components"], case .object(let schemas)? = components["schemas"],
            case .object(let role)? = schemas["Role"], case .array(let roles)? = role["enum"]
        else {
            Issue.record("no Role schema")
            return
        }
        #expect(roles.compactMap(\.stringValue) == Role.allCases.map(\.rawValue))
        guard case .object(let paths)? = try document["paths"], case .object(let audit)? = paths["/api/admin/audit"],
            case .object(let get)? = audit["get"], case .array(let parameters)? = get["parameters"]
        else {
            Issue.record("no parameters for GET /api/admin/audit")
            return
        }
        for case .object(let parameter) in parameters where parameter["name"] == .string("action") {
            guard case .object(let schema)? = parameter["schema"], case .array(let actions)? = schema["enum"] else { continue }
            #expect(Set(actions.compactMap(\.stringValue)) == Set(AuditAction.allCases.map(\.rawValue)))
        }
    }

    /// OpenAPI 3.1 §4.8.14: a Media Type Object has `schema`, `example`, `examples` and `encoding`
    /// (and `x-` extensions), nothing else. A `description` there made the document invalid.
    @Test("Every Media Type object holds only the fields OpenAPI 3.1 allows there")
    func mediaTypeFields() throws {
        let allowed: Set<String> = ["schema", "example", "examples", "encoding"]
        let paths = try #require(try document["paths"]?.objectValue)
        // Each content map with where it is: every operation's body and responses, and the shared responses.
        var contents: [(String, ClaimValue)] = []
        for (path, item) in paths {
            for (method, operation) in item.objectValue ?? [:] {
                if let body = operation.objectValue?["requestBody"]?.objectValue?["content"] { contents.append(("\(method) \(path)", body)) }
                for (status, response) in operation.objectValue?["responses"]?.objectValue ?? [:] {
                    if let content = response.objectValue?["content"] { contents.append(("\(method) \(path) \(status)", content)) }
                }
            }
        }
        let shared = try #require(try document["components"]?.objectValue?["responses"]?.objectValue, "components/responses")
        for (name, response) in shared {
            if let content = response.objectValue?["content"] { contents.append(("components/responses/\(name)", content)) }
        }
        var checked = 0
        for (place, content) in contents {
            for (type, media) in content.objectValue ?? [:] {
                let fields = Set((media.objectValue ?? [:]).keys.filter { !$0.hasPrefix("x-") })
                #expect(fields.isSubset(of: allowed), "\(place) \(type): \(fields.subtracting(allowed).sorted())")
                checked += 1
            }
        }
        #expect(checked > 20)
        #expect(shared.count >= 6, "the problem responses are shared, not inlined")
    }

    @Test("An undeclared method on a documented path is 405 with Allow")
    func methodNotAllowed() async throws {
        let harness = try await AdminHarness()
        try await harness.test { client in
            for (method, path) in [("DELETE", "/api/admin/users/1"), ("PUT", "/api/admin/users"), ("POST", "/healthz")] {
                let response = try await client.execute(
                    uri: path,
                    method: HTTPRequest.Method(rawValue: method)!,
                    headers: harness.auth(.superAdmin)
                )
                #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                #expect(response.headers[.allow] != nil)
            }
            #expect(try await client.execute(uri: "/api/admin/users/1", method: .options).headers[.allow] == "GET, PATCH, HEAD")
            // A literal segment wins over a parameter, as in the router: keys/revoke is not keys/{id}.
            #expect(try await client.execute(uri: "/api/admin/keys/revoke", method: .options).headers[.allow] == "POST")
            #expect(try await client.execute(uri: "/api/admin/reviews/current", method: .delete).headers[.allow] == "GET, HEAD")
            #expect(try await client.execute(uri: "/nowhere", method: .get).status == .notFound)
        }
    }
}
