import RoleSyncMapping

/// `GET /api/admin/mapping`.
struct MappingsView: Encodable, Sendable {
    struct Rule: Encodable, Sendable {
        var id: String
        var role: String
    }

    struct Entry: Encodable, Sendable {
        var issuer: String
        var file: String
        var unmatched: String
        var requireConditions: Int
        var deactivateRules: Int
        var rules: [Rule]
        var tests: Int

        enum CodingKeys: String, CodingKey {
            case issuer, file, unmatched, rules, tests
            case requireConditions = "require_conditions"
            case deactivateRules = "deactivate_rules"
        }
    }

    var mappings: [Entry]

    init(_ set: MappingSet) {
        mappings = set.mappings.map { mapping in
            Entry(
                issuer: mapping.issuer,
                file: mapping.file,
                unmatched: mapping.unmatched.rawValue,
                requireConditions: mapping.require.count,
                deactivateRules: mapping.deactivate.count,
                rules: mapping.roles.map { Rule(id: $0.id, role: $0.role.rawValue) },
                tests: mapping.tests.count
            )
        }
    }
}
