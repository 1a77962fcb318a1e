import Foundation
import Logging
import RoleSyncApp
import RoleSyncLedger
import RoleSyncMapping
import Testing

/// SIGHUP reloads: a valid folder replaces the mappings; an invalid one keeps the running ones.
@Suite("Mapping reload")
struct MappingReloaderTests {
    static let issuer = "https://idp.example.com"

    func mapping(role: String) -> String {
        """
        version: 1
        issuer: \(Self.issuer)
        roles:
          - id: everyone
            role: \(role)
            when: { claim: sub, exists: true }
        unmatched: manual
        """
    }

    @Test("A valid reload takes effect; a broken one or a missing issuer keeps the running mappings")
    func reload() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("reload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("idp.yaml")
        let claims = Claims(["sub": .string("u1")])

        try mapping(role: "user").write(to: file, atomically: true, encoding: .utf8)
        let registry = MappingRegistry(MappingSet.build([]).set)
        let reloader = MappingReloader(path: folder.path, issuers: [Self.issuer], registry: registry, logger: Logger(label: "test"))
        #expect(reloader.reload())
        #expect(registry.current.mapping(forIssuer: Self.issuer)?.evaluate(claims, tracing: false).role == .user)

        try mapping(role: "billing_admin").write(to: file, atomically: true, encoding: .utf8)
        #expect(reloader.reload())
        #expect(registry.current.mapping(forIssuer: Self.issuer)?.evaluate(claims, tracing: false).role == .billingAdmin)

        try mapping(role: "overlord").write(to: file, atomically: true, encoding: .utf8)
        #expect(!reloader.reload())
        #expect(registry.current.mapping(forIssuer: Self.issuer)?.evaluate(claims, tracing: false).role == .billingAdmin)

        try mapping(role: "user").replacingOccurrences(of: Self.issuer, with: "https://other.example.com")
            .write(to: file, atomically: true, encoding: .utf8)
        #expect(!reloader.reload())
        #expect(registry.current.mapping(forIssuer: Self.issuer) != nil)
    }
}
