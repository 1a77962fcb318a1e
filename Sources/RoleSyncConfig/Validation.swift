import Foundation
import RoleSyncJSON
import RoleSyncYAML

/// What the checks after decoding share: the file (relative paths resolve against its folder), the
/// environment secrets come from, and the errors found so far.
struct Validation {
    let file: String
    let environment: [String: String]
    /// Whether a secret must be at hand (`serve`), or only named (other commands).
    let requiringSecrets: Bool
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String, environment: [String: String], requiringSecrets: Bool) {
        self.file = file
        self.environment = environment
        self.requiringSecrets = requiringSecrets
    }

    mutating func error(_ location: SourceLocation, _ message: String) {
        diagnostics.append(Diagnostic(.error, at: location, message))
    }

    /// A path, resolved against the configuration's folder; a trailing `/` (a folder) is kept.
    mutating func path(_ text: Located<String>, _ key: String) -> String? {
        guard !text.value.isEmpty else {
            error(text.location, "\(key) must not be empty")
            return nil
        }
        if text.value.hasPrefix("/") { return text.value }
        let resolved = ServeConfiguration.folder(of: file).appendingPathComponent(text.value).path
        return text.value.hasSuffix("/") && !resolved.hasSuffix("/") ? resolved + "/" : resolved
    }

    /// A CA file (`ca_file`), resolved and readable.
    mutating func readableFile(_ text: Located<String>?, _ key: String, _ valid: inout Bool) -> String? {
        guard let text, let path = path(text, key) else { return nil }
        guard FileManager.default.isReadableFile(atPath: path) else {
            error(text.location, "\(key): '\(path)' cannot be read")
            valid = false
            return nil
        }
        return path
    }

    /// Seconds, or a number with a unit: `90s`, `15m`, `8h`, `7d`.
    mutating func duration(_ value: Located<ClaimValue>, _ key: String) -> TimeInterval? {
        if case .number(let seconds) = value.value, seconds >= 0, seconds.isFinite { return seconds }
        if case .string(let text) = value.value, let seconds = ServeConfiguration.seconds(text) { return seconds }
        let shown = value.value.scalarText ?? YAMLNodes.kind(of: value.value)
        error(value.location, "\(key): '\(shown)' is not a duration (seconds, or 90s, 15m, 8h, 7d)")
        return nil
    }

    /// A secret from the variable an `…_env` key names, else the inline `value`; a variable that
    /// is not set is an error when secrets are required and there is no inline value.
    mutating func secret(_ value: String?, environmentKey name: Located<String>?, _ key: String, _ valid: inout Bool) -> String? {
        guard let name else { return value }
        if let fromEnvironment = environment[name.value], !fromEnvironment.isEmpty { return fromEnvironment }
        if value == nil, requiringSecrets {
            error(name.location, "\(key): the environment variable \(name.value) is not set")
            valid = false
        }
        return value
    }

    /// Whether an http URL's host is this machine, where plain http is allowed (tests).
    static func isLoopback(_ host: String) -> Bool {
        let host = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}
