import Foundation
import RoleSyncConfig
import RoleSyncMapping
import Testing

/// How loaded mappings name their files: relative to the configured location, so no server path
/// reaches users, pages or the ledger, and a moved deployment names its mappings as before.
@Suite("Mapping files")
struct MappingFilesTests {
    static let mapping = """
        version: 1
        issuer: https://idp.example.com
        roles:
          - { id: everyone, role: user }
        """

    /// A scratch folder removed when the body returns, whatever it throws.
    func withFolder<T>(_ body: (URL) throws -> T) throws -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rolesync-mappings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("idps"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.mapping.write(to: folder.appendingPathComponent("idps/okta.yaml"), atomically: true, encoding: .utf8)
        return try body(folder)
    }

    @Test("A folder's mappings are named by their name in it, wherever the folder is", .bug("https://github.com/rolesync/rolesync/issues/11"))
    func folder() throws {
        try withFolder { folder in
            for location in [folder.appendingPathComponent("idps").path, folder.appendingPathComponent("idps").path + "/"] {
                let loaded = try MappingFiles.load([location], naming: .relativeToLocation)
                #expect(loaded.mappings.map(\.file) == ["okta.yaml"])
                #expect(loaded.set.mapping(forIssuer: "https://idp.example.com")?.file == "okta.yaml")
            }
        }
    }

    @Test("A mappings file is named by its own name; as given, the path stays as typed")
    func file() throws {
        try withFolder { folder in
            let path = folder.appendingPathComponent("idps/okta.yaml").path
            let relative = try MappingFiles.load([path], naming: .relativeToLocation)
            let asGiven = try MappingFiles.load([path])
            #expect(relative.mappings.map(\.file) == ["okta.yaml"])
            #expect(asGiven.mappings.map(\.file) == [path])
        }
    }

    @Test("Diagnostics keep the path as given, so an editor can open it")
    func diagnostics() throws {
        try withFolder { folder in
            let path = folder.appendingPathComponent("idps/okta.yaml")
            try (Self.mapping + "\nunmatched: maybe\n").write(to: path, atomically: true, encoding: .utf8)
            let loaded = try MappingFiles.load([folder.appendingPathComponent("idps").path], naming: .relativeToLocation)
            let diagnostic = try #require(loaded.diagnostics.first)
            #expect(diagnostic.location.file == path.path)
        }
    }
}
