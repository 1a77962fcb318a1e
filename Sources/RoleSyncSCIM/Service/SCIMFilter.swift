package import RoleSyncJSON
import RoleSyncMapping

/// A SCIM filter (RFC 7644 §3.4.2.2), parsed: `userName eq "bjensen"`,
/// `emails[type eq "work" and value co "@example.com"] or not (active eq false)`.
///
/// Attribute names are case-insensitive, operators and `and`/`or`/`not` too. `not` binds tighter
/// than `and`, which binds tighter than `or`. Inside `[…]` attribute names are the sub-attributes
/// of the multi-valued attribute before the bracket.
///
/// ```swift
/// let filter = try SCIMFilter(parsing: #"userName eq "bjensen""#)
/// filter.equality  // (attribute: "username", value: "bjensen")
/// filter.matches(["userName": "BJensen"], caseExact: SCIMSchema.user.isCaseExact)  // true
/// ```
package indirect enum SCIMFilter: Sendable, Hashable {
    /// `attrPath compareOp compValue`.
    case comparison(SCIMAttributePath, ComparisonOperator, ClaimValue)
    /// `attrPath pr`.
    case present(SCIMAttributePath)
    /// `attrPath "[" valFilter "]"`: some value of a multi-valued attribute matches the inner filter.
    case valuePath(SCIMAttributePath, SCIMFilter)
    /// `not ( filter )`.
    case not(SCIMFilter)
    /// `filter and filter`.
    case and(SCIMFilter, SCIMFilter)
    /// `filter or filter`.
    case or(SCIMFilter, SCIMFilter)

    /// The comparison operators of RFC 7644 Table 3 (`pr` is ``SCIMFilter/present(_:)``).
    package enum ComparisonOperator: String, Sendable, Hashable, CaseIterable {
        case eq, ne, co, sw, ew, gt, ge, lt, le
    }

    /// The longest filter accepted, in characters.
    package static let maximumLength = 1_000
    /// The deepest nesting accepted (parentheses, `not` and `[…]` each add a level).
    package static let maximumDepth = 16

    /// Parses a filter.
    /// - Parameter text: the filter, as in `?filter=` or a SearchRequest's `filter`.
    /// - Throws: ``SCIMProtocolError/invalidFilter(_:)`` naming the 1-based character position of
    ///   the problem, when the text is too long, too deep, or not a filter.
    package init(parsing text: String) throws(SCIMProtocolError) {
        self = try SCIMFilterParser.filter(text)
    }

    /// Whether a resource matches.
    ///
    /// Strings compare ignoring case unless `caseExact` says the attribute is case-exact;
    /// `gt`/`ge`/`lt`/`le` on strings are lexicographic (so ISO 8601 dates order correctly). A
    /// multi-valued attribute matches when any of its values does; a complex multi-valued attribute
    /// named without a sub-attribute compares its `value` sub-attribute. `eq null` matches an absent
    /// attribute and `ne` is the negation of `eq`. Values of the wrong type never match.
    /// - Parameters:
    ///   - resource: the resource's attributes.
    ///   - caseExact: whether the attribute with this canonical path (`"username"`,
    ///     `"emails.value"`) compares case-exactly; ``SCIMSchema/isCaseExact(_:)`` fits.
    package func matches(_ resource: [String: ClaimValue], caseExact: (String) -> Bool) -> Bool {
        matches(resource, caseExact: caseExact, prefix: nil)
    }

    /// The attribute and value when the filter is exactly one `attribute eq "string"`, for an index
    /// lookup: the attribute is the canonical path (`"username"`, `"externalid"`, `"members.value"`).
    package var equality: (attribute: String, value: String)? {
        guard case .comparison(let path, .eq, .string(let value)) = self else { return nil }
        return (path.canonicalName, value)
    }

    func matches(_ resource: [String: ClaimValue], caseExact: (String) -> Bool, prefix: String?) -> Bool {
        switch self {
        case .and(let left, let right):
            return left.matches(resource, caseExact: caseExact, prefix: prefix)
                && right.matches(resource, caseExact: caseExact, prefix: prefix)
        case .or(let left, let right):
            return left.matches(resource, caseExact: caseExact, prefix: prefix)
                || right.matches(resource, caseExact: caseExact, prefix: prefix)
        case .not(let inner):
            return !inner.matches(resource, caseExact: caseExact, prefix: prefix)
        case .present(let path):
            return Self.values(at: path, in: resource, comparing: false).contains { !$0.isEmpty }
        case .valuePath(let path, let inner):
            let name = Self.qualified(path.canonicalName, prefix)
            return Self.values(at: path, in: resource, comparing: false).contains { element in
                guard case .object(let object) = element else { return false }
                return inner.matches(object, caseExact: caseExact, prefix: name)
            }
        case .comparison(let path, let op, let literal):
            let values = Self.values(at: path, in: resource, comparing: true)
            let exact = caseExact(Self.qualified(path.canonicalName, prefix))
            if literal == .null {
                return op == .eq ? values.isEmpty : !values.isEmpty
            }
            if op == .ne {
                return !values.contains { Self.compare($0, .eq, literal, caseExact: exact) }
            }
            return values.contains { Self.compare($0, op, literal, caseExact: exact) }
        }
    }

    private static func qualified(_ name: String, _ prefix: String?) -> String {
        prefix.map { $0 + "." + name } ?? name
    }

    /// The non-null values at `path`, multi-valued attributes flattened. When `comparing`, complex
    /// values stand for their `value` sub-attribute.
    static func values(at path: SCIMAttributePath, in resource: [String: ClaimValue], comparing: Bool) -> [ClaimValue] {
        var container = resource
        if !path.isCoreSchema, let schema = path.schema, case .object(let extensionObject)? = resource.scimValue(schema) {
            container = extensionObject
        }
        var values = flattened(container.scimValue(path.attribute))
        if let sub = path.subAttribute {
            values = values.flatMap { value -> [ClaimValue] in
                guard case .object(let object) = value else { return [] }
                return flattened(object.scimValue(sub))
            }
        } else if comparing {
            values = values.compactMap { value in
                guard case .object(let object) = value else { return value }
                return object.scimValue("value")
            }
        }
        return values.filter { $0 != .null }
    }

    private static func flattened(_ value: ClaimValue?) -> [ClaimValue] {
        switch value {
        case nil, .null?: []
        case .array(let elements)?: elements
        case let value?: [value]
        }
    }

    private static func compare(_ value: ClaimValue, _ op: ComparisonOperator, _ literal: ClaimValue, caseExact: Bool) -> Bool {
        switch (value, literal) {
        case (.string(let stored), .string(let wanted)):
            let a = caseExact ? stored : stored.lowercased()
            let b = caseExact ? wanted : wanted.lowercased()
            switch op {
            case .eq: return a == b
            case .ne: return a != b
            case .co: return a.contains(b)
            case .sw: return a.hasPrefix(b)
            case .ew: return a.hasSuffix(b)
            case .gt: return a > b
            case .ge: return a >= b
            case .lt: return a < b
            case .le: return a <= b
            }
        case (.number(let a), .number(let b)):
            switch op {
            case .eq: return a == b
            case .ne: return a != b
            case .gt: return a > b
            case .ge: return a >= b
            case .lt: return a < b
            case .le: return a <= b
            case .co, .sw, .ew: return false
            }
        case (.bool(let a), .bool(let b)):
            switch op {
            case .eq: return a == b
            case .ne: return a != b
            default: return false
            }
        default:
            return false
        }
    }
}
