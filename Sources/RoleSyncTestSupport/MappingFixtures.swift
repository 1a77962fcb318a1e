import RoleSyncJSON
package import RoleSyncMapping

/// Generated mappings and claims for tests and benchmarks: large, realistic, reproducible.
package enum MappingFixtures {
    package static let issuer = "https://generated.example.com"

    /// A mapping with `ruleCount` role rules in the mix a large IdP mapping has: mostly group
    /// membership (`contains`), some `in` lists, group-prefix globs every 20th rule, and a group-or-
    /// department `any` every 10th. Rule `i` is satisfied only by group `team-i`.
    /// - Parameter ruleCount: the number of role rules.
    /// - Returns: the YAML text.
    package static func largeMappingYAML(ruleCount: Int) -> String {
        let roles = Role.allCases.filter { $0 != .superAdmin }
        var yaml = """
            version: 1
            issuer: \(issuer)
            profile:
              email: email
              name: [name, preferred_username]
              organization_unit: department
            require:
              - { claim: email_verified, equals: true }
              - { claim: email, glob: "*@example.com", ignore_case: true }
            deactivate:
              - { claim: groups, contains: offboarded }
            roles:

            """
        for i in 0..<ruleCount {
            let role = roles[i % roles.count].rawValue
            let condition: String
            switch i % 20 {
            case 0:
                condition = "{ claim: groups, glob: \"team-\(i)/*\" }"
            case 5, 15:
                condition = "{ any: [ { claim: groups, contains: team-\(i) }, { claim: department, equals: \"Department \(i)\" } ] }"
            case 7:
                condition = "{ claim: groups, in: [team-\(i), team-\(i)-leads, team-\(i)-admins] }"
            default:
                condition = "{ claim: groups, contains: team-\(i) }"
            }
            yaml += """
                  - id: rule-\(i)
                    role: \(role)
                    when: \(condition)

                """
        }
        yaml += "unmatched: manual\n"
        return yaml
    }

    /// A user in `groupCount` groups, none of which matches a rule of ``largeMappingYAML(ruleCount:)``
    /// unless `matching` names a rule index (then the user is also in that rule's group).
    package static func largeClaims(groupCount: Int, matching rule: Int? = nil) -> Claims {
        var groups = (0..<groupCount).map { ClaimValue.string("grp-\($0)") }
        if let rule {
            groups.append(.string(rule % 20 == 0 ? "team-\(rule)/members" : "team-\(rule)"))
        }
        return Claims([
            "iss": .string(issuer),
            "sub": .string("00u1generated"),
            "email": .string("someone@example.com"),
            "email_verified": .bool(true),
            "name": .string("Some One"),
            "department": .string("Research"),
            "groups": .array(groups),
        ])
    }
}

/// A populated ledger for benchmarks and load tests.
package enum LedgerFixtures {
    package static let issuer = "https://bench.example.com"

    /// A mapping for ``issuer`` with a few group rules, like a real IdP's.
    package static let mappingYAML = """
        version: 1
        issuer: https://bench.example.com
        profile: { email: email, name: name, organization_unit: department }
        require:
          - { claim: email_verified, equals: true }
        deactivate:
          - { claim: groups, contains: offboarded }
        roles:
          - { id: admins, role: super_admin, when: { claim: groups, contains: platform-admins } }
          - { id: models, role: model_admin, when: { claim: groups, contains: ml-platform } }
          - { id: finance, role: billing_admin, when: { claim: groups, contains: finance } }
          - { id: helpdesk, role: user_admin, when: { claim: groups, contains: helpdesk } }
          - { id: engineers, role: user, when: { claim: groups, glob: "eng-*" } }
        unmatched: manual
        """

    /// The same mapping with `finance` moved to `user_admin` and `helpdesk` dropped: about 1 user
    /// in 10 changes role or coverage.
    package static let changedMappingYAML =
        mappingYAML
        .replacingOccurrences(of: "role: billing_admin", with: "role: user_admin")
        .replacingOccurrences(of: "  - { id: helpdesk, role: user_admin, when: { claim: groups, contains: helpdesk } }\n", with: "")

    /// Claims of user number `i`: every 20th in finance, every 25th in helpdesk, most engineers.
    package static func claims(_ i: Int) -> Claims {
        var groups: [ClaimValue] = ["Everyone", .string("team-\(i % 300)")]
        if i % 20 == 0 { groups.append("finance") }
        if i % 25 == 0 { groups.append("helpdesk") }
        if i % 3 != 0 { groups.append(.string("eng-\(i % 7)")) }
        if i == 0 { groups.append("platform-admins") }
        return Claims([
            "iss": .string(issuer), "sub": .string("sub-\(i)"), "email": .string("person\(i)@example.com"),
            "email_verified": true, "name": .string("Person \(i) \(["Smith", "Jones", "Garcia", "Chen", "Okafor"][i % 5])"),
            "department": .string(["Research", "Finance", "Sales", "Support"][i % 4]), "groups": .array(groups),
        ])
    }
}
