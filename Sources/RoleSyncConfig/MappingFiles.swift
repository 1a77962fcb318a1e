import Foundation
public import RoleSyncMapping

/// Reads mapping files and folders from disk for the mapping module (which opens no files).
public struct MappingFiles: Sendable {
    /// Every mapping that validated, every diagnostic (per file, then cross-file), and the files read.
    public var mappings: [Mapping] = []
    public var diagnostics: [Diagnostic] = []
    public var files: [String] = []

    /// The valid mappings, one per issuer (a second mapping for an issuer is left out).
    public var set = MappingSet.build([]).set

    /// Loads files, or every `*.yaml`/`*.yml` in folders (sorted by name), and checks across files.
    /// - Throws: ``ConfigError/file(_:_:)`` when a path does not exist or a folder holds no mapping.
    public static func load(_ paths: [String]) throws(ConfigError) -> MappingFiles {
        var result = MappingFiles()
        for path in paths {
            result.files += try expand(path)
        }
        for file in result.files {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw ConfigError.file(file, "cannot read the file (\(describe(error)))")
            }
            let parsed = MappingParser.parse(yaml: text, file: file)
            result.diagnostics += parsed.diagnostics
            if let mapping = parsed.mapping { result.mappings.append(mapping) }
        }
        let (set, crossFile) = MappingSet.build(result.mappings)
        result.set = set
        result.diagnostics += crossFile
        return result
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

    public var errorCount: Int { diagnostics.filter { $0.severity == .error }.count }
    public var warningCount: Int { diagnostics.filter { $0.severity == .warning }.count }
}

/// A system error's reason without Foundation's framing.
public func describe(_ error: any Error) -> String {
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
public func plural(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}
