/// An attribute path as filters and PATCH paths write it (RFC 7644 §3.10): `userName`,
/// `name.givenName`, or with a schema URN, `urn:ietf:params:scim:schemas:core:2.0:User:userName`.
///
/// Attribute names are case-insensitive; ``canonicalName`` is the lower-cased form without a core
/// schema URN (`"name.givenname"`), which is what ``SCIMSchema`` lookups and
/// ``SCIMFilter/equality`` use.
package struct SCIMAttributePath: Sendable, Hashable, CustomStringConvertible {
    /// The schema URN the path was qualified with, as written, or `nil`.
    package var schema: String?
    /// The attribute name, as written.
    package var attribute: String
    /// The sub-attribute name, as written, or `nil`.
    package var subAttribute: String?

    /// Creates a path from its parts.
    /// - Parameters:
    ///   - attribute: the attribute name.
    ///   - subAttribute: the sub-attribute name, if any.
    ///   - schema: the schema URN qualifying the attribute, if any.
    package init(_ attribute: String, subAttribute: String? = nil, schema: String? = nil) {
        self.attribute = attribute
        self.subAttribute = subAttribute
        self.schema = schema
    }

    /// Reads a path; `nil` when it is not `[URN ":"] ATTRNAME ["." ATTRNAME]`.
    /// - Parameter text: the path, e.g. `emails.value` or `urn:…:User:userName`.
    package init?(parsing text: String) {
        var rest = Substring(text)
        var schema: String?
        if text.lowercased().hasPrefix("urn:") {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            schema = String(text[..<colon])
            rest = text[text.index(after: colon)...]
        }
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy(Self.isAttributeName) else { return nil }
        self.init(String(parts[0]), subAttribute: parts.count == 2 ? String(parts[1]) : nil, schema: schema)
    }

    /// Whether the schema URN, if any, is one of the core schemas this server publishes.
    package var isCoreSchema: Bool {
        guard let schema else { return true }
        return SCIMResourceType.allCases.contains { $0.schemaURN.lowercased() == schema.lowercased() }
    }

    /// The lower-cased path without a core schema URN: `"username"`, `"members.value"`; an extension
    /// URN stays, lower-cased, as a prefix (`"urn:…:enterprise:2.0:user:manager.value"`).
    package var canonicalName: String {
        var name = attribute.lowercased()
        if let subAttribute { name += "." + subAttribute.lowercased() }
        if !isCoreSchema, let schema { name = schema.lowercased() + ":" + name }
        return name
    }

    package var description: String {
        (schema.map { $0 + ":" } ?? "") + attribute + (subAttribute.map { "." + $0 } ?? "")
    }

    /// `ATTRNAME = ALPHA *(nameChar)` with `nameChar = "-" / "_" / DIGIT / ALPHA`, plus `$ref`.
    static func isAttributeName(_ name: Substring) -> Bool {
        if name == "$ref" { return true }
        guard let first = name.unicodeScalars.first, first.isASCIILetter else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCIILetter || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
    }
}

extension Unicode.Scalar {
    var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
}

/// Case-insensitive member lookup, as SCIM attribute names are case-insensitive.
extension Dictionary where Key == String {
    /// The key spelled like `name`, ignoring case; an exact match wins.
    func scimKey(_ name: String) -> String? {
        if self[name] != nil { return name }
        let lowered = name.lowercased()
        return keys.first { $0.lowercased() == lowered }
    }

    /// The value whose key is `name`, ignoring case.
    func scimValue(_ name: String) -> Value? {
        scimKey(name).flatMap { self[$0] }
    }
}
