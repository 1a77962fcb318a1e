import Foundation
import RoleSyncMapping
import Testing

/// Parses YAML that must be valid, failing the test with the diagnostics when it is not.
func validMapping(_ yaml: String, file: String = "test.yaml", sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> Mapping {
    let result = MappingParser.parse(yaml: yaml, file: file)
    let errors = result.diagnostics.filter { $0.severity == .error }
    #expect(errors.isEmpty, "unexpected errors: \(errors)", sourceLocation: sourceLocation)
    return try #require(result.mapping, sourceLocation: sourceLocation)
}

/// A one-rule mapping whose rule `r` has the given `when` (a YAML flow mapping).
func ruleMapping(_ when: String) throws -> Mapping {
    try validMapping(
        """
        version: 1
        issuer: https://idp.example.com
        roles:
          - id: r
            role: user_admin
            when: \(when)
        """
    )
}

/// Claims from JSON text.
func claims(_ json: String) throws -> Claims {
    try Claims(json: Data(json.utf8))
}

/// Whether the one-rule mapping's rule matches the claims.
func matches(_ when: String, _ json: String) throws -> Bool {
    try ruleMapping(when).evaluate(try claims(json)).isCovered
}

/// The diagnostics of YAML text, as `line:col: severity: message`.
func diagnostics(_ yaml: String) -> [String] {
    MappingParser.parse(yaml: yaml, file: "m.yaml").diagnostics.map {
        "\($0.location.line):\($0.location.column): \($0.severity.rawValue): \($0.message)"
    }
}

/// The directory of the package, for reading `mappings/`.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
