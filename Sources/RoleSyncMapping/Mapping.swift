package import RoleSyncYAML

/// One IdP's mapping document (version 1), validated and ready to evaluate.
///
/// Build one with ``MappingParser/parse(yaml:file:)``; evaluate it with ``evaluate(_:tracing:)``.
package struct Mapping: Sendable {
    /// The file it was read from, as given to the parser.
    package var file: String
    /// The IdP this mapping governs; compared exactly with the ID token's `iss`.
    package var issuer: String
    /// Where `issuer` is written, for errors about it (a duplicate across files).
    package var issuerLocation: SourceLocation
    package var profile: ProfileSpec
    /// All must hold, or sign-in is refused.
    package var require: [Condition]
    /// Any holds: the user becomes inactive (reason `idp`) and sign-in is refused.
    package var deactivate: [Condition]
    /// Ordered; the first rule that matches decides the role.
    package var roles: [RoleRule]
    package var unmatched: UnmatchedPolicy
    package var tests: [MappingTestCase]
    /// The claim paths of the conditions and which predicates each list element satisfies.
    var index: MembershipIndex

    /// The rule with this id.
    package func rule(id: String) -> RoleRule? { roles.first { $0.id == id } }
}

/// A role rule: when its condition holds (and no earlier rule's did), the user is covered and gets `role`.
///
/// Immutable and a class, so walking 200 rules retains 200 references instead of copying their fields.
package final class RoleRule: Sendable, Hashable {
    package let id: String
    package let role: Role
    /// `nil`: the rule always matches (a catch-all).
    package let when: Condition?
    package let location: SourceLocation

    package init(id: String, role: Role, when: Condition?, location: SourceLocation) {
        self.id = id
        self.role = role
        self.when = when
        self.location = location
    }

    package static func == (lhs: RoleRule, rhs: RoleRule) -> Bool {
        lhs.id == rhs.id && lhs.role == rhs.role && lhs.when == rhs.when && lhs.location == rhs.location
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(role)
        hasher.combine(when)
    }
}

/// What happens to a user no role rule matches.
package enum UnmatchedPolicy: String, Sendable, Hashable, CaseIterable {
    /// The role is managed by hand (new users start as `user`).
    case manual
    /// Sign-in is refused.
    case deny
}

/// Where profile attributes come from: for each, claim paths tried in order, first present wins.
package struct ProfileSpec: Sendable, Hashable {
    package var email: [ClaimPath]
    package var name: [ClaimPath]
    package var organizationUnit: [ClaimPath]

    /// `email: email`, `name: [name, preferred_username]`, no organisation unit.
    package static let defaults = ProfileSpec(
        email: [ClaimPath("email")].compactMap { $0 },
        name: [ClaimPath("name"), ClaimPath("preferred_username")].compactMap { $0 },
        organizationUnit: []
    )

    /// The attribute names a mapping's `profile:` accepts.
    package static let attributeNames = ["email", "name", "organization_unit"]
}

/// A user's profile attributes as a mapping derives them from claims.
package struct Profile: Sendable, Hashable, Codable {
    package var email: String?
    package var name: String?
    package var organizationUnit: String?

    package init(email: String? = nil, name: String? = nil, organizationUnit: String? = nil) {
        self.email = email
        self.name = name
        self.organizationUnit = organizationUnit
    }

    enum CodingKeys: String, CodingKey {
        case email
        case name
        case organizationUnit = "organization_unit"
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(email, forKey: .email)
        try c.encode(name, forKey: .name)
        try c.encode(organizationUnit, forKey: .organizationUnit)
    }

    /// The attribute by its mapping name (`email`, `name`, `organization_unit`).
    package subscript(attribute: String) -> String? {
        switch attribute {
        case "email": email
        case "name": name
        case "organization_unit": organizationUnit
        default: nil
        }
    }
}

/// A case of a mapping's `tests:`: claims, and what the decision must be.
package struct MappingTestCase: Sendable {
    package var name: String
    package var claims: Claims
    /// `nil` when the case has no `expect` (a warning: it checks nothing).
    package var expect: Expectation?
    package var location: SourceLocation

    /// The parts of a decision a test case can pin down; `nil` fields are not checked.
    package struct Expectation: Sendable, Hashable {
        package var allowed: Bool?
        /// `.some(nil)`: no rule may match.
        package var role: Role??
        /// `.some(nil)`: no rule may match.
        package var rule: String??
        package var covered: Bool?
        package var deactivate: Bool?
        package var profile: [String: String?]?
        package var unknownClaims: [String]?

        package init() {}
    }
}
