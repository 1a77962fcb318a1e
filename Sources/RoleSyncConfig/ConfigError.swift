public import RoleSyncYAML

/// Why a configuration or a file it names cannot be used. Every message says where: a file, or a
/// file, line and column with the key at fault.
public enum ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A file or folder that cannot be read.
    case file(String, String)
    /// The configuration has errors, each with its place.
    case invalid([Diagnostic])

    /// One line per problem, as printed by the command line.
    public var lines: [String] {
        switch self {
        case .file(let path, let reason): ["rolesync: error: \(path): \(reason)"]
        case .invalid(let diagnostics): diagnostics.map(\.description)
        }
    }

    public var description: String { lines.joined(separator: "\n") }
}
