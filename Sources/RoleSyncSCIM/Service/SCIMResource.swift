import Foundation
package import RoleSyncJSON
import RoleSyncMapping

/// Checks on resource bodies (POST, PUT) and the `attributes`/`excludedAttributes` projection.
package enum SCIMResource {
    /// The attributes every answer keeps, whatever `attributes`/`excludedAttributes` say.
    package static let alwaysReturned: Set<String> = ["id", "schemas", "meta"]

    /// Checks and cleans a POST body.
    ///
    /// Known attributes are type-checked and stored under their schema names; `active` and other
    /// booleans also accept `"true"`/`"false"` strings. Server-set and read-only attributes (`id`,
    /// `meta`, `schemas`, `groups`) are dropped, as are `password`, nulls, empty lists and
    /// attributes the schema does not know (extension attributes from Okta or Entra ID). Complex
    /// values are kept verbatim.
    /// - Parameters:
    ///   - body: the decoded request body.
    ///   - type: the resource type posted to.
    /// - Returns: the attributes to store; the server adds `id`, `schemas` and `meta`.
    /// - Throws: ``SCIMProtocolError/invalidValue(_:)`` when `userName` (User) or `displayName`
    ///   (Group) is missing or not a non-empty string, or a known attribute has the wrong type
    ///   (`emails` not objects, a member without a string `value`, …).
    package static func validateForCreate(_ body: [String: ClaimValue], type: SCIMResourceType) throws(SCIMProtocolError) -> [String: ClaimValue] {
        let schema = type.schema
        var resource: [String: ClaimValue] = [:]
        for (key, value) in body.sorted(by: { $0.key < $1.key }) where value != .null {
            guard let path = SCIMAttributePath(parsing: key), path.subAttribute == nil, let attribute = schema.attribute(path),
                attribute.mutability != .readOnly
            else { continue }
            let coerced = try attribute.coerced(value)
            switch coerced {
            case .array(let elements) where elements.isEmpty: continue
            case .object(let members) where members.isEmpty: continue
            default: resource[attribute.name] = coerced
            }
        }
        guard case .string(let required)? = resource[type.requiredAttribute],
            !required.allSatisfy({ $0.isWhitespace })
        else { throw .invalidValue("'\(type.requiredAttribute)' is required and must be a non-empty string") }
        return resource
    }

    /// Checks and cleans a PUT body: the same rules as ``validateForCreate(_:type:)``. The result
    /// replaces every attribute the client manages; the server keeps `id` and `meta`.
    /// - Parameters:
    ///   - body: the decoded request body.
    ///   - type: the resource type.
    /// - Returns: the attributes to store.
    /// - Throws: what ``validateForCreate(_:type:)`` throws.
    package static func validateForReplace(_ body: [String: ClaimValue], type: SCIMResourceType) throws(SCIMProtocolError) -> [String: ClaimValue] {
        try validateForCreate(body, type: type)
    }

    /// Applies `attributes=` / `excludedAttributes=` (RFC 7644 §3.4.2.5).
    ///
    /// With `attributes`, only the named attributes are kept (`name.givenName` keeps just that
    /// sub-attribute, in every value of a multi-valued attribute); otherwise the
    /// `excludedAttributes` are removed. Names ignore case and may carry the schema URN. `id`,
    /// `schemas` and `meta` always stay; `password` never does.
    /// - Parameters:
    ///   - resource: the resource as stored (with `id`, `schemas`, `meta`).
    ///   - attributes: the requested attributes; empty for the default set.
    ///   - excludedAttributes: attributes to leave out; ignored when `attributes` is not empty.
    ///   - schema: the resource's schema.
    /// - Returns: the resource to send.
    package static func project(
        _ resource: [String: ClaimValue],
        attributes: [String],
        excludedAttributes: [String],
        schema: SCIMSchema
    ) -> [String: ClaimValue] {
        var resource = resource
        for key in resource.keys.filter({ $0.lowercased() == "password" || schema.attribute($0)?.returned == .never }) {
            resource[key] = nil
        }
        let requested = paths(attributes, schema)
        if !requested.isEmpty {
            var projected: [String: ClaimValue] = [:]
            for (key, value) in resource {
                let name = key.lowercased()
                let wanted = requested.filter { $0.attribute == name }
                if isAlwaysReturned(key, schema) || wanted.contains(where: { $0.subAttribute == nil }) {
                    projected[key] = value
                } else if !wanted.isEmpty, let kept = keeping(Set(wanted.compactMap(\.subAttribute)), of: value) {
                    projected[key] = kept
                }
            }
            return projected
        }
        for path in paths(excludedAttributes, schema) {
            guard let key = resource.scimKey(path.attribute), !isAlwaysReturned(key, schema), let value = resource[key] else { continue }
            if let sub = path.subAttribute {
                resource[key] = removing(sub, from: value)
            } else {
                resource[key] = nil
            }
        }
        return resource
    }

    private static func isAlwaysReturned(_ key: String, _ schema: SCIMSchema) -> Bool {
        alwaysReturned.contains(key.lowercased()) || schema.attribute(key)?.returned == .always
    }

    /// The names as lower-cased paths of this schema (others, and unreadable names, are skipped).
    private static func paths(_ names: [String], _ schema: SCIMSchema) -> [(attribute: String, subAttribute: String?)] {
        names.compactMap { name in
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            guard let path = SCIMAttributePath(parsing: trimmed) else { return nil }
            if let urn = path.schema, urn.lowercased() != schema.id.lowercased() { return nil }
            return (path.attribute.lowercased(), path.subAttribute?.lowercased())
        }
    }

    /// `value` with only the sub-attributes `names` (lower-cased), or `nil` when nothing is left.
    private static func keeping(_ names: Set<String>, of value: ClaimValue) -> ClaimValue? {
        switch value {
        case .object(let members):
            let kept = members.filter { names.contains($0.key.lowercased()) }
            return kept.isEmpty ? nil : .object(kept)
        case .array(let elements):
            let kept = elements.compactMap { keeping(names, of: $0) }
            return kept.isEmpty ? nil : .array(kept)
        default:
            return nil
        }
    }

    /// `value` without the sub-attribute `name`, or `nil` when nothing is left.
    private static func removing(_ name: String, from value: ClaimValue) -> ClaimValue? {
        switch value {
        case .object(let members):
            let kept = members.filter { $0.key.lowercased() != name }
            return kept.isEmpty ? nil : .object(kept)
        case .array(let elements):
            let kept = elements.compactMap { removing(name, from: $0) }
            return kept.isEmpty ? nil : .array(kept)
        default:
            return value
        }
    }
}
