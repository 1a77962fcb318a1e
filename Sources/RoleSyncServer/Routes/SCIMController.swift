import Foundation
import Hummingbird
import Logging
import Metrics
import NIOCore
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncOIDC
import RoleSyncReconciler
import RoleSyncSCIM

/// Where SCIM lives, and how it answers.
enum SCIMRoutes {
    static let prefix = "/scim/v2"

    /// A SCIM answer: `application/scim+json`.
    static func json(_ value: ClaimValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/scim+json"],
            body: .init(byteBuffer: ByteBuffer(string: value.jsonText))
        )
    }
}

/// `/scim/v2`'s pushing IdP and its errors, in one place: a request without a push token is 401
/// with `WWW-Authenticate`; every error leaves as a SCIM error body; each answer is counted in
/// `rolesync_scim_requests_total{idp,outcome}`.
struct SCIMMiddleware: RouterMiddleware {
    typealias Context = RoleSyncRequestContext

    let service: SCIMService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let pusher = Self.pusher(presenting: request.headers[.authorization], among: service.pushers) else {
            Self.count(idp: "-", outcome: "unauthorized")
            throw SCIMErrorResponse(
                SCIMProtocolError(status: 401, detail: "a valid bearer token is required"),
                headers: [.wwwAuthenticate: "Bearer realm=\"SCIM\""]
            )
        }
        var context = context
        context.pusher = pusher
        do {
            let response = try await next(request, context)
            Self.count(idp: pusher.name, outcome: response.status.code < 400 ? "ok" : String(response.status.code))
            return response
        } catch {
            let answer = Self.error(for: error, pusher: pusher, context: context)
            Self.count(idp: pusher.name, outcome: String(answer.error.status))
            throw answer
        }
    }

    /// The pusher whose token the `Authorization` header carries. Every configured token is
    /// compared, each in time that depends only on the lengths, and none is skipped once one
    /// matched. Configuration refuses two IdPs with one token.
    static func pusher(presenting authorization: String?, among pushers: [SCIMService.Pusher]) -> SCIMService.Pusher? {
        guard let authorization, authorization.count > 7, authorization.prefix(7).lowercased() == "bearer " else { return nil }
        let presented = Array(authorization.dropFirst(7).trimmingCharacters(in: .whitespaces).utf8)
        var found: SCIMService.Pusher?
        for pusher in pushers where ConstantTime.equal(pusher.token, presented) && found == nil {
            found = pusher
        }
        return found
    }

    static func error(for error: any Error, pusher: SCIMService.Pusher, context: Context) -> SCIMErrorResponse {
        switch error {
        case let answer as SCIMErrorResponse:
            return answer
        case let scim as SCIMProtocolError:
            return SCIMErrorResponse(scim)
        case DirectoryStoreError.nameTaken(let name):
            return SCIMErrorResponse(.uniqueness("userName '\(SCIMProtocolError.excerpt(name))' is already taken"))
        case let http as HTTPError where http.status == .contentTooLarge:
            return SCIMErrorResponse(SCIMProtocolError(status: 413, detail: "the body is larger than \(SCIMService.maximumBody) bytes"))
        case let store as LedgerStoreError where LedgerUnavailable(store) != nil:
            let unavailable = LedgerUnavailable(store)!
            unavailable.log(context: context)
            return SCIMErrorResponse(SCIMProtocolError(status: 503, detail: unavailable.message), headers: LedgerUnavailable.headers)
        default:
            context.logger.error("SCIM request failed", metadata: ["idp": "\(pusher.name)", "error": "\(error)"])
            return SCIMErrorResponse(SCIMProtocolError(status: 500, detail: "the request could not be completed; nothing was changed"))
        }
    }

    static func count(idp: String, outcome: String) {
        Counter(label: "rolesync_scim_requests_total", dimensions: [("idp", idp), ("outcome", outcome)]).increment()
    }
}

/// `/scim/v2`: the SCIM 2.0 service provider (RFC 7644) IdPs push to, one route per endpoint. Every
/// answer outside 2xx is a SCIM error (`urn:ietf:params:scim:api:messages:2.0:Error`) with
/// `scimType` where RFC 7644 §3.12 has one.
struct SCIMController: Sendable {
    let service: SCIMService
    /// Where the pushing IdP reaches RoleSync: resources' `meta.location` start with it.
    let publicURL: URL
    let now: @Sendable () -> Date

    func addRoutes(to scim: RouterGroup<RoleSyncRequestContext>) {
        let base = publicURL.absoluteString + SCIMRoutes.prefix

        // Discovery (RFC 7644 §4).
        scim.get("ServiceProviderConfig") { _, _ in SCIMRoutes.json(SCIMDiscovery.serviceProviderConfig(baseURL: base)) }
        scim.get("ResourceTypes") { _, _ in
            let all = SCIMDiscovery.resourceTypes(baseURL: base)
            return SCIMRoutes.json(SCIMDiscovery.listResponse(all, totalResults: all.count, startIndex: 1))
        }
        scim.get("ResourceTypes/{name}") { _, context in
            let name = try context.parameters.require("name")
            guard let type = SCIMDiscovery.resourceType(named: name, baseURL: base) else {
                throw SCIMProtocolError.notFound("no resource type '\(SCIMProtocolError.excerpt(name))'")
            }
            return SCIMRoutes.json(type)
        }
        scim.get("Schemas") { _, _ in
            let all = SCIMDiscovery.schemas(baseURL: base)
            return SCIMRoutes.json(SCIMDiscovery.listResponse(all, totalResults: all.count, startIndex: 1))
        }
        scim.get("Schemas/{id}") { _, context in
            let id = try context.parameters.require("id")
            guard let schema = SCIMDiscovery.schema(id: id, baseURL: base) else {
                throw SCIMProtocolError.notFound("no schema '\(SCIMProtocolError.excerpt(id))'")
            }
            return SCIMRoutes.json(schema)
        }
        // Searching every resource type (RFC 7644 §3.4.3).
        scim.post(".search") { request, context in
            let list = try Self.listRequest(try await Self.jsonBody(request))
            return try await self.search([.user, .group], list, pusher: try Self.scimPusher(context), base: base)
        }

        // Users and Groups (RFC 7644 §3.2–3.6).
        for type in [SCIMResourceType.user, .group] {
            let kind: DirectoryResource.Kind = type == .user ? .user : .group
            let resources = scim.group(RouterPath(type.endpoint))
            resources.get { request, context in
                let parameters = request.uri.queryParameters
                let list = try Self.listRequest(query: { parameters[Substring($0)].map(String.init) })
                return try await self.search([kind], list, pusher: try Self.scimPusher(context), base: base)
            }
            resources.post { request, context in
                try await self.create(kind, type, request, pusher: try Self.scimPusher(context), base: base)
            }
            resources.post(".search") { request, context in
                let list = try Self.listRequest(try await Self.jsonBody(request))
                return try await self.search([kind], list, pusher: try Self.scimPusher(context), base: base)
            }
            resources.get("{id}") { request, context in
                let pusher = try Self.scimPusher(context)
                let resource = try await service.resource(kind, id: try context.parameters.require("id"), pusher: pusher)
                let query = request.uri.queryParameters
                return SCIMRoutes.json(
                    .object(
                        SCIMResource.project(
                            SCIMService.representation(resource, baseURL: base),
                            attributes: Self.names(query[Substring("attributes")].map(String.init)),
                            excludedAttributes: Self.names(query[Substring("excludedAttributes")].map(String.init)),
                            schema: type.schema
                        )
                    )
                )
            }
            resources.delete("{id}") { _, context in
                let pusher = try Self.scimPusher(context)
                let id = try context.parameters.require("id")
                try await service.delete(kind, id: id, pusher: pusher)
                service.logger.info("SCIM delete", metadata: ["idp": "\(pusher.name)", "kind": "\(kind.rawValue)", "id": "\(id)"])
                return Response(status: .noContent)
            }
            for method in [HTTPRequest.Method.put, .patch] {
                resources.on("{id}", method: method) { request, context in
                    let stored = try await self.replace(
                        kind,
                        type,
                        id: try context.parameters.require("id"),
                        body: try await Self.jsonBody(request),
                        patch: method == .patch,
                        pusher: try Self.scimPusher(context)
                    )
                    return SCIMRoutes.json(.object(SCIMService.representation(stored, baseURL: base)))
                }
            }
        }
    }

    /// The pushing IdP ``SCIMMiddleware`` found.
    static func scimPusher(_ context: RoleSyncRequestContext) throws -> SCIMService.Pusher {
        guard let pusher = context.pusher else { throw SCIMProtocolError(status: 401, detail: "a valid bearer token is required") }
        return pusher
    }

    /// PUT (a replacement) or PATCH (operations) of one resource, again while concurrent writes
    /// invalidate it.
    private func replace(
        _ kind: DirectoryResource.Kind,
        _ type: SCIMResourceType,
        id: String,
        body: ClaimValue,
        patch: Bool,
        pusher: SCIMService.Pusher
    ) async throws -> DirectoryResource {
        try await service.replace(kind, id: id, pusher: pusher) { resource in
            var updated = resource
            if patch {
                let operations = try SCIMPatch(body: body)
                var attributes = resource.attributes
                attributes["id"] = .string(resource.id)
                try operations.apply(to: &attributes, schema: type.schema)
                attributes["id"] = nil
                updated.attributes = try SCIMResource.validateForReplace(attributes, type: type)
            } else {
                guard case .object(let members) = body else { throw SCIMProtocolError.invalidSyntax("the body must be a JSON object") }
                updated.attributes = try SCIMResource.validateForReplace(members, type: type)
            }
            Self.index(&updated, type)
            return updated
        }
    }

    private func create(
        _ kind: DirectoryResource.Kind,
        _ type: SCIMResourceType,
        _ request: Request,
        pusher: SCIMService.Pusher,
        base: String
    ) async throws -> Response {
        guard case .object(let members) = try await Self.jsonBody(request) else {
            throw SCIMProtocolError.invalidSyntax("the body must be a JSON object")
        }
        let attributes = try SCIMResource.validateForCreate(members, type: type)
        let time = now()
        var resource = DirectoryResource(
            issuer: pusher.issuer,
            kind: kind,
            id: UUID().uuidString.lowercased(),
            externalId: nil,
            name: "",
            attributes: attributes,
            version: 1,
            created: time,
            modified: time
        )
        Self.index(&resource, type)
        try await service.create(resource, pusher: pusher)
        service.logger.info("SCIM create", metadata: ["idp": "\(pusher.name)", "kind": "\(kind.rawValue)", "id": "\(resource.id)"])
        var response = SCIMRoutes.json(.object(SCIMService.representation(resource, baseURL: base)), status: .created)
        response.headers[.location] = base + type.endpoint + "/" + resource.id
        return response
    }

    private func search(
        _ kinds: [DirectoryResource.Kind],
        _ list: SCIMService.ListRequest,
        pusher: SCIMService.Pusher,
        base: String
    ) async throws -> Response {
        var total = 0
        var page: [ClaimValue] = []
        var request = list
        for kind in kinds {
            let (count, resources) = try await service.list(kind, pusher: pusher, request)
            total += count
            let schema = (kind == .user ? SCIMResourceType.user : .group).schema
            for resource in resources {
                let projected = SCIMResource.project(
                    SCIMService.representation(resource, baseURL: base),
                    attributes: list.attributes,
                    excludedAttributes: list.excludedAttributes,
                    schema: schema
                )
                page.append(.object(projected))
            }
            // The next kind continues where this one's matches end.
            request.startIndex = max(1, request.startIndex - count)
            request.count = max(0, list.count - page.count)
        }
        return SCIMRoutes.json(SCIMDiscovery.listResponse(page, totalResults: total, startIndex: list.startIndex))
    }

    /// Sets the indexed columns from the attributes.
    static func index(_ resource: inout DirectoryResource, _ type: SCIMResourceType) {
        resource.externalId = resource.attributes["externalId"]?.stringValue
        resource.name = resource.attributes[type.requiredAttribute]?.stringValue ?? ""
    }

    static func jsonBody(_ request: Request) async throws -> ClaimValue {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: SCIMService.maximumBody)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw SCIMProtocolError(status: 413, detail: "the body is larger than \(SCIMService.maximumBody) bytes")
        }
        do {
            return try ClaimValue(json: Data(buffer.readableBytesView))
        } catch {
            throw SCIMProtocolError.invalidSyntax("the body is not JSON: \(SCIMProtocolError.excerpt(error.description))")
        }
    }

    /// `attributes=a,b` as a list.
    static func names(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func listRequest(query: (String) -> String?) throws -> SCIMService.ListRequest {
        var list = SCIMService.ListRequest()
        if let filter = query("filter") { list.filter = try SCIMFilter(parsing: filter) }
        if let text = query("startIndex") {
            guard let value = Int(text) else { throw SCIMProtocolError.invalidValue("startIndex must be an integer") }
            list.startIndex = max(1, value)
        }
        if let text = query("count") {
            guard let value = Int(text) else { throw SCIMProtocolError.invalidValue("count must be an integer") }
            list.count = min(SCIMService.maxResults, max(0, value))
        }
        list.attributes = names(query("attributes"))
        list.excludedAttributes = names(query("excludedAttributes"))
        return list
    }

    /// A SearchRequest body (RFC 7644 §3.4.3).
    static func listRequest(_ body: ClaimValue) throws -> SCIMService.ListRequest {
        guard case .object(let members) = body else { throw SCIMProtocolError.invalidSyntax("the body must be a SearchRequest object") }
        var list = SCIMService.ListRequest()
        if let filter = members["filter"] {
            guard let text = filter.stringValue else { throw SCIMProtocolError.invalidFilter("filter must be a string") }
            list.filter = try SCIMFilter(parsing: text)
        }
        if let value = members["startIndex"] {
            guard case .number(let n) = value else { throw SCIMProtocolError.invalidValue("startIndex must be an integer") }
            list.startIndex = max(1, Int(n))
        }
        if let value = members["count"] {
            guard case .number(let n) = value else { throw SCIMProtocolError.invalidValue("count must be an integer") }
            list.count = min(SCIMService.maxResults, max(0, Int(n)))
        }
        func strings(_ key: String) throws -> [String] {
            guard let value = members[key] else { return [] }
            guard case .array(let items) = value else { throw SCIMProtocolError.invalidValue("\(key) must be a list of strings") }
            return items.compactMap(\.stringValue)
        }
        list.attributes = try strings("attributes")
        list.excludedAttributes = try strings("excludedAttributes")
        return list
    }
}
