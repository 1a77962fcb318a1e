import Foundation
package import RoleSyncMapping
package import RoleSyncYAML

/// Reads mapping files and folders from disk for the mapping module (which opens no files).
package struct MappingFiles: Sendable {
    /// Every mapping that validated, every diagnostic (per file, then cross-file), and the files read.
    package var mappings: [Mapping] = []
    package var diagnostics: [Diagnostic] = []
    package var files: [String] = []
    /// The file each of ``mappings`` was read from, in the same order.
    package var paths: [String] = []

    /// The valid mappings, one per issuer (a second mapping for an issuer is left out).
    package var set = MappingSet.build([]).set

    /// How a loaded mapping names its file (``Mapping/file``), which decisions, traces, the ledger's
    /// audit events and every page show.
    package enum Naming: Sendable {
        /// As the path was given (the command line's `mapping check`, `test`, `dry-run`).
        case asGiven
        /// Relative to the configured location: a file in a mappings folder by its name in that
        /// folder, a mappings file by its own name. No server path reaches users or the ledger, and
        /// a deployment moved elsewhere names its mappings as before.
        case relativeToLocation
    }

    /// Loads files, or every `*.yaml`/`*.yml` in folders (sorted by name), and checks across files.
    /// Diagnostics always give the path as it was given, so an editor can open it.
    /// - Parameters:
    ///   - paths: files or folders.
    ///   - naming: how each ``Mapping/file`` is named.
    /// - Throws: ``ConfigError/file(_:_:)`` when a path does not exist or a folder holds no mapping.
    package static func load(_ paths: [String], naming: Naming = .asGiven) throws(ConfigError) -> MappingFiles {
        var result = MappingFiles()
        var names: [String] = []
        for path in paths {
            let files = try expand(path)
            result.files += files
            names += files.map { file in
                switch naming {
                case .asGiven: file
                case .relativeToLocation: Self.name(of: file, in: path)
                }
            }
        }
        for (file, name) in zip(result.files, names) {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw ConfigError.file(file, "cannot read the file (\(describe(error)))")
            }
            let parsed = MappingParser.parse(yaml: text, file: file)
            result.diagnostics += parsed.diagnostics
            if var mapping = parsed.mapping {
                mapping.file = name
                result.mappings.append(mapping)
                result.paths.append(file)
            }
        }
        let (set, crossFile) = MappingSet.build(result.mappings)
        result.set = set
        result.diagnostics += crossFile
        return result
    }

    /// `file`'s name relative to the location it was found through: its path inside the folder
    /// `location`, or its last component when `location` is the file itself.
    static func name(of file: String, in location: String) -> String {
        let folder = location.hasSuffix("/") ? location : location + "/"
        if file.hasPrefix(folder) { return String(file.dropFirst(folder.count)) }
        return URL(fileURLWithPath: file).lastPathComponent
    }

    private static func expand(_ path: String) throws(ConfigError) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigError.file(path, "no such file or folder")
        }
        guard isDirectory.boolValue else { return [path] }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw ConfigError.file(path, "cannot list the folder (\(describe(error)))")
        }
        let files = names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
            .map { path.hasSuffix("/") ? path + $0 : path + "/" + $0 }
        if files.isEmpty { throw ConfigError.file(path, "the folder holds no mapping (*.yaml or *.yml)") }
        return files
    }

    package var errorCount: Int { diagnostics.filter { $0.severity == .error }.count }
    package var warningCount: Int { diagnostics.filter { $0.severity == .warning }.count }
}

/// A system error's reason without Foundation's framing.
package func describe(_ error: any Error) -> String {
    let nsError = error as NSError
    if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError {
        return String(cString: strerror(Int32(underlying.code)))
    }
    if nsError.domain == NSCocoaErrorDomain, nsError.code == NSFileReadNoSuchFileError {
        return "no such file"
    }
    return nsError.localizedDescription
}

/// `1 error`, `2 warnings`.
package func plural(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}
