public import RoleSyncYAML

/// One IdP's mapping document (version 1), validated and ready to evaluate.
///
/// Build one with ``MappingParser/parse(yaml:file:)``; evaluate it with ``evaluate(_:tracing:)``.
public struct Mapping: Sendable {
    /// The file it was read from, as given to the parser.
    public var file: String
    /// The IdP this mapping governs; compared exactly with the ID token's `iss`.
    public var issuer: String
    /// Where `issuer` is written, for errors about it (a duplicate across files).
    public var issuerLocation: SourceLocation
    public var profile: ProfileSpec
    /// All must hold, or sign-in is refused.
    public var require: [Condition]
    /// Any holds: the user becomes inactive (reason `idp`) and sign-in is refused.
    public var deactivate: [Condition]
    /// Ordered; the first rule that matches decides the role.
    public var roles: [RoleRule]
    public var unmatched: UnmatchedPolicy
    public var tests: [MappingTestCase]
    /// The claim paths of the conditions and which predicates each list element satisfies.
    var index: MembershipIndex

    /// The rule with this id.
    public func rule(id: String) -> RoleRule? { roles.first { $0.id == id } }
}

/// A role rule: when its condition holds (and no earlier rule's did), the user is covered and gets `role`.
///
/// Immutable and a class, so walking 200 rules retains 200 references instead of copying their fields.
public final class RoleRule: Sendable, Hashable {
    public let id: String
    public let role: Role
    /// `nil`: the rule always matches (a catch-all).
    public let when: Condition?
    public let location: SourceLocation

    public init(id: String, role: Role, when: Condition?, location: SourceLocation) {
        self.id = id
        self.role = role
        self.when = when
        self.location = location
    }

    public static func == (lhs: RoleRule, rhs: RoleRule) -> Bool {
        lhs.id == rhs.id && lhs.role == rhs.role && lhs.when == rhs.when && lhs.location == rhs.location
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(role)
        hasher.combine(when)
    }
}

/// What happens to a user no role rule matches.
public enum UnmatchedPolicy: String, Sendable, Hashable, CaseIterable {
    /// The role is managed by hand (new users start as `user`).
    case manual
    /// Sign-in is refused.
    case deny
}

/// Where profile attributes come from: for each, claim paths tried in order, first present wins.
public struct ProfileSpec: Sendable, Hashable {
    public var email: [ClaimPath]
    public var name: [ClaimPath]
    public var organizationUnit: [ClaimPath]

    /// `email: email`, `name: [name, preferred_username]`, no organisation unit.
    public static let defaults = ProfileSpec(
        email: [ClaimPath("email")].compactMap { $0 },
        name: [ClaimPath("name"), ClaimPath("preferred_username")].compactMap { $0 },
        organizationUnit: []
    )

    /// The attribute names a mapping's `profile:` accepts.
    public static let attributeNames = ["email", "name", "organization_unit"]
}

/// A user's profile attributes as a mapping derives them from claims.
public struct Profile: Sendable, Hashable, Codable {
    public var email: String?
    public var name: String?
    public var organizationUnit: String?

    public init(email: String? = nil, name: String? = nil, organizationUnit: String? = nil) {
        self.email = email
        self.name = name
        self.organizationUnit = organizationUnit
    }

    enum CodingKeys: String, CodingKey {
        case email
        case name
        case organizationUnit = "organization_unit"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(email, forKey: .email)
        try c.encode(name, forKey: .name)
        try c.encode(organizationUnit, forKey: .organizationUnit)
    }

    /// The attribute by its mapping name (`email`, `name`, `organization_unit`).
    public subscript(attribute: String) -> String? {
        switch attribute {
        case "email": email
        case "name": name
        case "organization_unit": organizationUnit
        default: nil
        }
    }
}

/// A case of a mapping's `tests:`: claims, and what the decision must be.
public struct MappingTestCase: Sendable {
    public var name: String
    public var claims: Claims
    /// `nil` when the case has no `expect` (a warning: it checks nothing).
    public var expect: Expectation?
    public var location: SourceLocation

    /// The parts of a decision a test case can pin down; `nil` fields are not checked.
    public struct Expectation: Sendable, Hashable {
        public var allowed: Bool?
        /// `.some(nil)`: no rule may match.
        public var role: Role??
        /// `.some(nil)`: no rule may match.
        public var rule: String??
        public var covered: Bool?
        public var deactivate: Bool?
        public var profile: [String: String?]?
        public var unknownClaims: [String]?

        public init() {}
    }
}
