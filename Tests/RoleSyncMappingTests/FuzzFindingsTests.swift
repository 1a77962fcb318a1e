import Foundation
import RoleSyncMapping
import Testing

/// Every input the fuzzer found a problem with (`Fuzz/findings/mapping/`) parses to diagnostics,
/// without a crash, ever again.
@Suite("Fuzz findings")
struct FuzzFindingsTests {
    static var findings: [URL] {
        let folder = packageRoot.appendingPathComponent("Fuzz/findings/mapping")
        return ((try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? []).sorted {
            $0.lastPathComponent < $1.lastPathComponent
        }
    }

    @Test("There are findings to replay")
    func present() {
        #expect(!Self.findings.isEmpty)
    }

    @Test("A finding parses to diagnostics without a crash", arguments: findings)
    func replay(_ file: URL) throws {
        let text = String(decoding: try Data(contentsOf: file), as: UTF8.self)
        let result = MappingParser.parse(yaml: text, file: file.lastPathComponent)
        // Either a mapping, or the errors that say why not: never nothing, never a crash.
        #expect(result.mapping != nil || result.diagnostics.contains { $0.severity == .error }, "\(file.lastPathComponent)")
        _ = result.mapping?.evaluate(Claims(["sub": "x"]), tracing: true)
    }

    /// The finding `Fuzz/findings/mapping/huge-version.yaml`, written out.
    @Test("A version too large for an integer is an error that quotes it, not a crash")
    func hugeVersion() {
        let digits = String(repeating: "4", count: 104) + "1"
        let d = diagnostics("version: \(digits)\nissuer: https://idp.example.com\nroles: [{ id: a, role: user }]\n")
        #expect(d.count == 1)
        #expect(d.first?.hasPrefix("1:10: error: unsupported version 4.44444444444444") == true, "\(d)")
    }
}
