package import RoleSyncYAML

/// Why a configuration or a file it names cannot be used. Every message says where: a file, or a
/// file, line and column with the key at fault.
package enum ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A file or folder that cannot be read.
    case file(String, String)
    /// The configuration has errors, each with its place.
    case invalid([Diagnostic])

    /// One line per problem, as printed by the command line.
    package var lines: [String] {
        switch self {
        case .file(let path, let reason): ["rolesync: error: \(path): \(reason)"]
        case .invalid(let diagnostics): diagnostics.map(\.description)
        }
    }

    package var description: String { lines.joined(separator: "\n") }
}
