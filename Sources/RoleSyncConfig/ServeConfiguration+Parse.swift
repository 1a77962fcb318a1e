package import Foundation
package import RoleSyncMapping
package import RoleSyncYAML
import Yams

extension ServeConfiguration {
    /// Reads and validates a configuration file.
    /// - Parameters:
    ///   - path: the file.
    ///   - environment: where `client_secret_env` names are looked up.
    ///   - requiringSecrets: whether a client secret must be at hand (`serve`); other commands
    ///     only need the database and mappings.
    /// - Throws: ``ConfigError/file(_:_:)`` when it cannot be read, ``ConfigError/invalid(_:)``
    ///   with every error found.
    package static func load(
        path: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        requiringSecrets: Bool = true
    ) throws(ConfigError) -> ServeConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .file(path, "cannot read the configuration (\(describe(error)))")
        }
        return try parse(yaml: text, file: path, environment: environment, requiringSecrets: requiringSecrets)
    }

    /// Parses and validates configuration text.
    /// - Parameters:
    ///   - yaml: the text.
    ///   - file: its path, for messages and to resolve relative paths.
    ///   - environment: where `client_secret_env` names are looked up.
    ///   - requiringSecrets: whether a missing client secret is an error.
    /// - Throws: ``ConfigError/invalid(_:)`` with every error found.
    package static func parse(
        yaml: String,
        file: String,
        environment: [String: String],
        requiringSecrets: Bool = true
    ) throws(ConfigError) -> ServeConfiguration {
        let root: Node
        do {
            // The basic resolver tags nothing: the decoder types plain scalars by YAML 1.2's core schema.
            guard let node = try Yams.compose(yaml: yaml, Resolver.basic) else {
                throw ConfigError.invalid([
                    Diagnostic(.error, at: SourceLocation(file: file, line: 1, column: 1), "the configuration is empty")
                ])
            }
            root = node
        } catch let error as ConfigError {
            throw error
        } catch {
            throw .invalid([YAMLNodes.syntaxDiagnostic(error, file: file)])
        }
        let decoded = YAMLNodeDecoder(file: file, rootName: "the configuration").decode(RawServeConfiguration.self, from: root)
        var validation = Validation(file: file, environment: environment, requiringSecrets: requiringSecrets)
        let configuration = decoded.value?.validate(&validation)
        let diagnostics = (decoded.diagnostics + validation.diagnostics).sorted { $0.location < $1.location }
        guard let configuration, !diagnostics.containsErrors else { throw .invalid(diagnostics) }
        return configuration
    }

    /// A duration as configurations and options write it: seconds (`90`), or a number with `s`, `m`,
    /// `h` or `d` (`90s`, `15m`, `8h`, `7d`); `nil` for anything else or a negative number.
    package static func seconds(_ text: String) -> TimeInterval? {
        if let seconds = Double(text), seconds >= 0, seconds.isFinite { return seconds }
        guard let unit = text.last, let number = Double(text.dropLast()), number >= 0, number.isFinite else { return nil }
        switch unit {
        case "s": return number
        case "m": return number * 60
        case "h": return number * 3600
        case "d": return number * 86400
        default: return nil
        }
    }

    /// Errors for providers that no mapping governs: RoleSync refuses to start with one, since
    /// every sign-in through it would be refused.
    package func providersWithoutMapping(in mappings: MappingSet) -> [Diagnostic] {
        idps.filter { mappings.mapping(forIssuer: $0.issuer) == nil }.map {
            Diagnostic(
                .error,
                at: $0.location,
                "idps: no mapping in \(self.mappings) has issuer '\($0.issuer)'; add one (see docs/mapping.md)"
            )
        }
    }

    /// The folder relative paths in a configuration file are resolved against.
    static func folder(of file: String) -> URL {
        URL(fileURLWithPath: file).deletingLastPathComponent()
    }
}
