import Foundation
import RoleSyncMapping
package import RoleSyncYAML

/// The live mappings and their candidates (`shadow:`), loaded and checked together: what `serve`
/// starts with, what a reload swaps in, and what `rolesync mapping promote` compares.
package struct LoadedMappings: Sendable {
    package var live: MappingFiles
    /// `nil` when no `shadow:` is configured.
    package var shadow: MappingFiles?
    /// Every error of both, and those of the pair: a provider no live mapping governs, a candidate
    /// for an issuer no live mapping governs.
    package var errors: [Diagnostic]

    /// Loads and checks.
    /// - Parameters:
    ///   - mappings: the live file or folder.
    ///   - shadow: the candidates' file or folder.
    ///   - issuers: the configured providers' issuers, each of which needs a live mapping.
    /// - Throws: ``ConfigError/file(_:_:)`` when a path does not exist or cannot be read.
    package static func load(mappings: String, shadow: String?, issuers: [String]) throws(ConfigError) -> LoadedMappings {
        let live = try MappingFiles.load([mappings], naming: .relativeToLocation)
        var errors = live.diagnostics.filter { $0.severity == .error }
        for issuer in issuers where live.set.mapping(forIssuer: issuer) == nil {
            errors.append(
                Diagnostic(
                    .error,
                    at: SourceLocation(file: mappings, line: 1, column: 1),
                    "no mapping has issuer '\(issuer)', which the configuration signs in with"
                )
            )
        }
        var candidates: MappingFiles?
        if let shadow {
            var loaded = try MappingFiles.load([shadow], naming: .relativeToLocation)
            // Named apart from the live files, which often share their names.
            for index in loaded.mappings.indices { loaded.mappings[index].file = "shadow/" + loaded.mappings[index].file }
            loaded.set = MappingSet.build(loaded.mappings).set
            errors += loaded.diagnostics.filter { $0.severity == .error }
            for mapping in loaded.mappings where live.set.mapping(forIssuer: mapping.issuer) == nil {
                errors.append(
                    Diagnostic(
                        .error,
                        at: mapping.issuerLocation,
                        "the candidate maps issuer '\(mapping.issuer)', which no live mapping governs; a shadow mapping is compared with a live one"
                    )
                )
            }
            candidates = loaded
        }
        return LoadedMappings(live: live, shadow: candidates, errors: errors)
    }
}
