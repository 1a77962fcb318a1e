package import RoleSyncJSON
import RoleSyncMapping

/// A resource schema (RFC 7643 §7): what `/Schemas` publishes, and what PATCH, validation, filters
/// and projection consult about an attribute (its type, whether it is multi-valued, mutable,
/// case-exact or required).
///
/// Lookups take attribute paths, case-insensitively, optionally qualified with the schema URN:
/// `"userName"`, `"name.givenName"`, `"urn:ietf:params:scim:schemas:core:2.0:User:userName"`. They
/// also know the common attributes every resource has but no schema lists (`id`, `externalId`,
/// `meta`, `schemas`, RFC 7643 §3.1) and the server-managed ones RoleSync does not publish
/// (`groups` on User).
package struct SCIMSchema: Sendable, Hashable {
    /// The schema URN, e.g. `urn:ietf:params:scim:schemas:core:2.0:User`.
    package var id: String
    /// The schema's name (`User`).
    package var name: String
    /// A human-readable description.
    package var description: String
    /// The attributes `/Schemas` publishes.
    package var attributes: [Attribute]
    /// Attributes known but not published: the common attributes and server-managed ones.
    package var unpublishedAttributes: [Attribute]

    /// Creates a schema.
    /// - Parameters:
    ///   - id: the schema URN.
    ///   - name: the schema's name.
    ///   - description: a description.
    ///   - attributes: the published attributes.
    ///   - unpublishedAttributes: further known attributes; defaults to ``commonAttributes``.
    package init(
        id: String,
        name: String,
        description: String,
        attributes: [Attribute],
        unpublishedAttributes: [Attribute] = SCIMSchema.commonAttributes
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.attributes = attributes
        self.unpublishedAttributes = unpublishedAttributes
    }

    /// One attribute definition (RFC 7643 §7).
    package struct Attribute: Sendable, Hashable {
        /// An attribute's data type (RFC 7643 §2.3).
        package enum DataType: String, Sendable, Hashable {
            case string, boolean, decimal, integer, dateTime, reference, complex, binary
        }

        /// Whether and when an attribute may be changed (RFC 7643 §7).
        package enum Mutability: String, Sendable, Hashable {
            case readOnly, readWrite, immutable, writeOnly
        }

        /// When an attribute is returned (RFC 7643 §7).
        package enum Returned: String, Sendable, Hashable {
            case always, never, `default`, request
        }

        /// How unique a value must be (RFC 7643 §7).
        package enum Uniqueness: String, Sendable, Hashable {
            case none, server, global
        }

        package var name: String
        package var type: DataType
        package var multiValued: Bool
        package var description: String
        package var required: Bool
        package var caseExact: Bool
        package var mutability: Mutability
        package var returned: Returned
        package var uniqueness: Uniqueness
        package var canonicalValues: [String]
        package var referenceTypes: [String]
        package var subAttributes: [Attribute]
        /// A sub-attribute every element of this multi-valued attribute must carry as a string
        /// (`value` for `members`); not published.
        package var elementKey: String?

        /// Creates an attribute definition; the defaults are RFC 7643 §2.2's.
        package init(
            _ name: String,
            type: DataType = .string,
            multiValued: Bool = false,
            description: String,
            required: Bool = false,
            caseExact: Bool = false,
            mutability: Mutability = .readWrite,
            returned: Returned = .default,
            uniqueness: Uniqueness = .none,
            canonicalValues: [String] = [],
            referenceTypes: [String] = [],
            subAttributes: [Attribute] = [],
            elementKey: String? = nil
        ) {
            self.name = name
            self.type = type
            self.multiValued = multiValued
            self.description = description
            self.required = required
            self.caseExact = caseExact
            self.mutability = mutability
            self.returned = returned
            self.uniqueness = uniqueness
            self.canonicalValues = canonicalValues
            self.referenceTypes = referenceTypes
            self.subAttributes = subAttributes
            self.elementKey = elementKey
        }

        /// The sub-attribute named `name`, ignoring case.
        package func subAttribute(_ name: String) -> Attribute? {
            let lowered = name.lowercased()
            return subAttributes.first { $0.name.lowercased() == lowered }
        }

        /// The RFC 7643 §7 definition. `caseExact` and `uniqueness` are left out for boolean and
        /// complex attributes, as scim2-server does.
        package var document: ClaimValue {
            var object: [String: ClaimValue] = [
                "name": .string(name),
                "type": .string(type.rawValue),
                "multiValued": .bool(multiValued),
                "description": .string(description),
                "required": .bool(required),
                "mutability": .string(mutability.rawValue),
                "returned": .string(returned.rawValue),
            ]
            if type != .boolean, type != .complex {
                object["caseExact"] = .bool(caseExact)
                object["uniqueness"] = .string(uniqueness.rawValue)
            }
            if !canonicalValues.isEmpty { object["canonicalValues"] = .array(canonicalValues.map(ClaimValue.string)) }
            if !referenceTypes.isEmpty { object["referenceTypes"] = .array(referenceTypes.map(ClaimValue.string)) }
            if !subAttributes.isEmpty { object["subAttributes"] = .array(subAttributes.map(\.document)) }
            return .object(object)
        }
    }

    // MARK: Lookups

    /// The definition at `path` (`"emails"`, `"name.givenName"`, URN-qualified or not), ignoring
    /// case; published attributes first, then ``unpublishedAttributes``.
    /// - Parameter path: the attribute path.
    /// - Returns: the attribute or sub-attribute, or `nil` when the schema does not know it.
    package func attribute(_ path: String) -> Attribute? {
        guard let parsed = SCIMAttributePath(parsing: path) else { return nil }
        return attribute(parsed)
    }

    /// The definition at a parsed path, or `nil`; a URN other than ``id`` is unknown.
    package func attribute(_ path: SCIMAttributePath) -> Attribute? {
        if let schema = path.schema, schema.lowercased() != id.lowercased() { return nil }
        guard let top = topLevelAttribute(path.attribute) else { return nil }
        guard let sub = path.subAttribute else { return top }
        return top.subAttribute(sub)
    }

    /// The top-level attribute named `name`, ignoring case.
    func topLevelAttribute(_ name: String) -> Attribute? {
        let lowered = name.lowercased()
        return attributes.first { $0.name.lowercased() == lowered } ?? unpublishedAttributes.first { $0.name.lowercased() == lowered }
    }

    /// Whether the schema knows the attribute at `path`.
    package func isKnown(_ path: String) -> Bool { attribute(path) != nil }
    /// The data type of the attribute at `path`, or `nil` when unknown.
    package func type(of path: String) -> Attribute.DataType? { attribute(path)?.type }
    /// Whether the attribute at `path` is multi-valued (`false` when unknown).
    package func isMultiValued(_ path: String) -> Bool { attribute(path)?.multiValued ?? false }
    /// The mutability of the attribute at `path`, or `nil` when unknown.
    package func mutability(of path: String) -> Attribute.Mutability? { attribute(path)?.mutability }
    /// Whether the attribute at `path` compares case-exactly (`false` when unknown). A complex
    /// attribute answers for its `value` sub-attribute, which filters compare.
    package func isCaseExact(_ path: String) -> Bool {
        guard let attribute = attribute(path) else { return false }
        if attribute.type == .complex, let value = attribute.subAttribute("value") { return value.caseExact }
        return attribute.caseExact
    }
    /// Whether the attribute at `path` is required (`false` when unknown).
    package func isRequired(_ path: String) -> Bool { attribute(path)?.required ?? false }

    /// The `/Schemas/{id}` document: the definition plus `schemas` and `meta`.
    /// - Parameter baseURL: the absolute SCIM base URL, e.g. `https://rolesync.example.com/scim/v2`.
    package func document(baseURL: String) -> ClaimValue {
        .object([
            "schemas": .array(["urn:ietf:params:scim:schemas:core:2.0:Schema"]),
            "id": .string(id),
            "name": .string(name),
            "description": .string(description),
            "attributes": .array(attributes.map(\.document)),
            "meta": .object([
                "resourceType": "Schema",
                "location": .string(SCIMDiscovery.trimmed(baseURL) + "/Schemas/" + id),
            ]),
        ])
    }
}
