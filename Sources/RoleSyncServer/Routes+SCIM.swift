import Foundation
import Hummingbird
import Logging
import Metrics
import NIOCore
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncSCIM

/// `/scim/v2`: the SCIM 2.0 service provider (RFC 7644) IdPs push to. Every answer outside 2xx is a
/// SCIM error (`urn:ietf:params:scim:api:messages:2.0:Error`) with `scimType` where RFC 7644 §3.12
/// has one.
extension ServerContext {
    static let scimPrefix = "/scim/v2"

    func addSCIMRoutes(to router: Router<RoleSyncRequestContext>) {
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
            for path in [Self.scimPrefix, Self.scimPrefix + "/**"] {
                router.on(RouterPath(path), method: method) { request, context in
                    await self.scim(request, context)
                }
            }
        }
    }

    private func scim(_ request: Request, _ context: RoleSyncRequestContext) async -> Response {
        guard let service = scim else {
            return Self.scimError(.notFound("SCIM push is not configured on this server (give an idp a scim_token_env)"))
        }
        guard let pusher = service.authenticate(request.headers[.authorization]) else {
            Counter(label: "rolesync_scim_requests_total", dimensions: [("idp", "-"), ("outcome", "unauthorized")]).increment()
            var response = Self.scimError(SCIMProtocolError(status: 401, detail: "a valid bearer token is required"))
            response.headers[.wwwAuthenticate] = "Bearer realm=\"SCIM\""
            return response
        }
        let response: Response
        do {
            response = try await route(request, service: service, pusher: pusher)
        } catch let error as SCIMProtocolError {
            response = Self.scimError(error)
        } catch DirectoryStoreError.nameTaken(let name) {
            response = Self.scimError(.uniqueness("userName '\(SCIMProtocolError.excerpt(name))' is already taken"))
        } catch {
            context.logger.error("SCIM request failed", metadata: ["idp": "\(pusher.name)", "error": "\(error)"])
            response = Self.scimError(SCIMProtocolError(status: 500, detail: "the request could not be completed; nothing was changed"))
        }
        Counter(
            label: "rolesync_scim_requests_total",
            dimensions: [("idp", pusher.name), ("outcome", response.status.code < 400 ? "ok" : String(response.status.code))]
        ).increment()
        return response
    }

    private func route(_ request: Request, service: SCIMService, pusher: SCIMService.Pusher) async throws -> Response {
        let path = request.uri.path
        let rest = path.dropFirst(Self.scimPrefix.count).split(separator: "/").map(String.init)
        let base = publicURL.absoluteString + Self.scimPrefix
        let method = request.method
        func only(_ allowed: [HTTPRequest.Method], _ handler: () async throws -> Response) async throws -> Response {
            guard allowed.contains(method) else {
                var response = Self.scimError(
                    SCIMProtocolError(status: 405, detail: "\(method.rawValue) is not supported here")
                )
                response.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
                return response
            }
            return try await handler()
        }
        switch rest.count {
        case 1 where rest[0] == "ServiceProviderConfig":
            return try await only([.get]) { Self.scimJSON(SCIMDiscovery.serviceProviderConfig(baseURL: base)) }
        case 1 where rest[0] == "ResourceTypes":
            return try await only([.get]) {
                let all = SCIMDiscovery.resourceTypes(baseURL: base)
                return Self.scimJSON(SCIMDiscovery.listResponse(all, totalResults: all.count, startIndex: 1))
            }
        case 2 where rest[0] == "ResourceTypes":
            return try await only([.get]) {
                guard let type = SCIMDiscovery.resourceType(named: rest[1], baseURL: base) else {
                    throw SCIMProtocolError.notFound("no resource type '\(SCIMProtocolError.excerpt(rest[1]))'")
                }
                return Self.scimJSON(type)
            }
        case 1 where rest[0] == "Schemas":
            return try await only([.get]) {
                let all = SCIMDiscovery.schemas(baseURL: base)
                return Self.scimJSON(SCIMDiscovery.listResponse(all, totalResults: all.count, startIndex: 1))
            }
        case 2 where rest[0] == "Schemas":
            return try await only([.get]) {
                guard let schema = SCIMDiscovery.schema(id: rest[1], baseURL: base) else {
                    throw SCIMProtocolError.notFound("no schema '\(SCIMProtocolError.excerpt(rest[1]))'")
                }
                return Self.scimJSON(schema)
            }
        case 1 where rest[0] == ".search":
            return try await only([.post]) {
                let list = try Self.listRequest(try await Self.jsonBody(request))
                return try await search([.user, .group], list, service: service, pusher: pusher, base: base)
            }
        default:
            break
        }
        guard let first = rest.first, let type = SCIMResourceType(endpoint: first), rest.count <= 2 else {
            throw SCIMProtocolError.notFound("no SCIM endpoint at \(SCIMProtocolError.excerpt(path))")
        }
        let kind: DirectoryResource.Kind = type == .user ? .user : .group
        if rest.count == 1 {
            return try await only([.get, .post]) {
                if method == .post { return try await create(kind, type, request, service: service, pusher: pusher, base: base) }
                let parameters = request.uri.queryParameters
                let list = try Self.listRequest(query: { parameters[Substring($0)].map(String.init) })
                return try await search([kind], list, service: service, pusher: pusher, base: base)
            }
        }
        if rest[1] == ".search" {
            return try await only([.post]) {
                let list = try Self.listRequest(try await Self.jsonBody(request))
                return try await search([kind], list, service: service, pusher: pusher, base: base)
            }
        }
        let id = rest[1]
        return try await only([.get, .put, .patch, .delete]) {
            switch method {
            case .get:
                let resource = try await Self.existing(kind, id, service: service, pusher: pusher)
                let query = request.uri.queryParameters
                return Self.scimJSON(
                    .object(
                        SCIMResource.project(
                            SCIMService.representation(resource, baseURL: base),
                            attributes: Self.names(query[Substring("attributes")].map(String.init)),
                            excludedAttributes: Self.names(query[Substring("excludedAttributes")].map(String.init)),
                            schema: type.schema
                        )
                    )
                )
            case .delete:
                try await Self.retrying {
                    let resource = try await Self.existing(kind, id, service: service, pusher: pusher)
                    try await service.commit(.delete(resource), pusher: pusher)
                }
                service.logger.info("SCIM delete", metadata: ["idp": "\(pusher.name)", "kind": "\(kind.rawValue)", "id": "\(id)"])
                return Response(status: .noContent)
            default:
                let body = try await Self.jsonBody(request)
                let stored = try await Self.retrying { () async throws -> DirectoryResource in
                    let resource = try await Self.existing(kind, id, service: service, pusher: pusher)
                    var updated = resource
                    if method == .put {
                        guard case .object(let members) = body else { throw SCIMProtocolError.invalidSyntax("the body must be a JSON object") }
                        updated.attributes = try SCIMResource.validateForReplace(members, type: type)
                    } else {
                        let patch = try SCIMPatch(body: body)
                        var attributes = resource.attributes
                        attributes["id"] = .string(resource.id)
                        try patch.apply(to: &attributes, schema: type.schema)
                        attributes["id"] = nil
                        updated.attributes = try SCIMResource.validateForReplace(attributes, type: type)
                    }
                    Self.index(&updated, type)
                    updated.modified = self.now()
                    updated.version = resource.version + 1
                    try await service.commit(.replace(updated, expectedVersion: resource.version), pusher: pusher)
                    return updated
                }
                return Self.scimJSON(.object(SCIMService.representation(stored, baseURL: base)))
            }
        }
    }

    private func create(
        _ kind: DirectoryResource.Kind,
        _ type: SCIMResourceType,
        _ request: Request,
        service: SCIMService,
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
        try await Self.retrying { try await service.commit(.create(resource), pusher: pusher) }
        service.logger.info("SCIM create", metadata: ["idp": "\(pusher.name)", "kind": "\(kind.rawValue)", "id": "\(resource.id)"])
        var response = Self.scimJSON(.object(SCIMService.representation(resource, baseURL: base)), status: .created)
        response.headers[.location] = base + type.endpoint + "/" + resource.id
        return response
    }

    private func search(
        _ kinds: [DirectoryResource.Kind],
        _ list: SCIMService.ListRequest,
        service: SCIMService,
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
        return Self.scimJSON(SCIMDiscovery.listResponse(page, totalResults: total, startIndex: list.startIndex))
    }

    // MARK: Helpers

    /// Sets the indexed columns from the attributes.
    static func index(_ resource: inout DirectoryResource, _ type: SCIMResourceType) {
        resource.externalId = resource.attributes["externalId"]?.stringValue
        resource.name = resource.attributes[type.requiredAttribute]?.stringValue ?? ""
    }

    static func existing(
        _ kind: DirectoryResource.Kind,
        _ id: String,
        service: SCIMService,
        pusher: SCIMService.Pusher
    ) async throws -> DirectoryResource {
        guard let resource = try await service.directory.directoryResource(issuer: pusher.issuer, kind: kind, id: id) else {
            throw SCIMProtocolError.notFound("\(kind.rawValue) '\(SCIMProtocolError.excerpt(id))' not found")
        }
        return resource
    }

    /// Runs a read-modify-write again when a concurrent write invalidated it.
    @discardableResult
    static func retrying<T>(_ body: () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await body()
            } catch DirectoryStoreError.staleResource where attempt < SCIMService.attempts {
                continue
            } catch LedgerStoreError.conflict(.staleUser) where attempt < SCIMService.attempts {
                continue
            }
        }
    }

    static func jsonBody(_ request: Request) async throws -> ClaimValue {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: SCIMService.maximumBody)
        } catch {
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

    static func scimJSON(_ value: ClaimValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/scim+json"],
            body: .init(byteBuffer: ByteBuffer(string: value.jsonText))
        )
    }

    static func scimError(_ error: SCIMProtocolError) -> Response {
        scimJSON(error.body, status: HTTPResponse.Status(code: error.status))
    }
}
