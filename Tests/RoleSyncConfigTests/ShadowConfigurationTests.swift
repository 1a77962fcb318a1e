import Foundation
import RoleSyncConfig
import RoleSyncMapping
import Testing

/// `shadow:`, `shadow_retention:` and `override:` in the serve configuration, and the candidates
/// loaded beside the live mappings.
@Suite("serve configuration: shadow mappings and break-glass")
struct ShadowConfigurationTests {
    func parse(_ yaml: String) throws(ConfigError) -> ServeConfiguration {
        try ServeConfiguration.parse(yaml: yaml, file: "/etc/rolesync/rolesync.yaml", environment: ["ROLESYNC_OKTA_SECRET": "x"])
    }

    func errors(_ yaml: String) -> [String] {
        do {
            _ = try parse(yaml)
            return []
        } catch {
            return error.lines
        }
    }

    @Test("Without the keys: no candidates, 14 days of differences, 8-hour overrides")
    func defaults() throws {
        let configuration = try parse(ServeConfigurationTests.valid)
        #expect(configuration.shadow == nil)
        #expect(configuration.shadowRetention == 14 * 86400)
        #expect(configuration.overrideMaxDuration == 8 * 3600)
    }

    @Test("The keys read as written, the candidates' path relative to the file")
    func read() throws {
        let configuration = try parse(
            ServeConfigurationTests.valid + "\nshadow: candidates/\nshadow_retention: 7d\noverride:\n  max_duration: 2h\n"
        )
        #expect(configuration.shadow == "/etc/rolesync/candidates/")
        #expect(configuration.shadowRetention == 7 * 86400)
        #expect(configuration.overrideMaxDuration == 7200)
        #expect(configuration.keys == KeySettings())
        let keys = try parse(ServeConfigurationTests.valid + "\nkeys:\n  max_lifetime: 90d\n  stale_after: 30d\n  revoke_stale_after: 180d\n").keys
        #expect(keys == KeySettings(maxLifetime: 90 * 86_400, staleAfter: 30 * 86_400, revokeStaleAfter: 180 * 86_400))
        let revokeOnly = try parse(ServeConfigurationTests.valid + "\nkeys:\n  revoke_stale_after: 180d\n").keys
        #expect(revokeOnly.staleAfter == TimeInterval(180 * 86_400), "a key is stale from the moment the policy would revoke it")
    }

    @Test(
        "Out-of-bounds values and unknown keys are errors naming the key",
        arguments: [
            ("override:\n  max_duration: 30s\n", "override.max_duration: between 1m and 7d"),
            ("override:\n  max_duration: 8d\n", "override.max_duration: between 1m and 7d"),
            ("override:\n  max_days: 1\n", "max_days"),
            ("shadow_retention: 10m\n", "shadow_retention: keep differences at least 1h"),
            ("shadow: \"\"\n", "shadow must not be empty"),
            ("keys:\n  max_lifetime: 12h\n", "keys.max_lifetime: between 1d and 3650d"),
            ("keys:\n  stale_after: soon\n", "keys.stale_after: 'soon' is not a duration"),
            ("keys:\n  revoke_stale_after: 180\n", "keys.revoke_stale_after: between 7d and 3650d"),
            ("keys:\n  stale_after: 90d\n  revoke_stale_after: 30d\n", "keys.revoke_stale_after: at least keys.stale_after"),
            ("keys:\n  stale_days: 90\n", "stale_days"),
        ]
    )
    func bounds(_ extra: String, _ expected: String) {
        let lines = errors(ServeConfigurationTests.valid + "\n" + extra)
        #expect(lines.contains { $0.contains(expected) && $0.hasPrefix("/etc/rolesync/rolesync.yaml:") }, "\(lines)")
    }

    @Test("A candidate is named shadow/FILE; one for an issuer no live mapping governs is an error at its issuer")
    func candidates() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("shadow-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["live", "shadow"] {
            try FileManager.default.createDirectory(at: folder.appendingPathComponent(name), withIntermediateDirectories: true)
        }
        func mapping(_ issuer: String, _ role: String) -> String {
            "version: 1\nissuer: \(issuer)\nroles:\n  - { id: all, role: \(role), when: { claim: sub, exists: true } }\n"
        }
        try mapping("https://a.example.com", "user").write(to: folder.appendingPathComponent("live/a.yaml"), atomically: true, encoding: .utf8)
        try mapping("https://a.example.com", "model_admin").write(
            to: folder.appendingPathComponent("shadow/a.yaml"),
            atomically: true,
            encoding: .utf8
        )
        let good = try LoadedMappings.load(
            mappings: folder.appendingPathComponent("live").path,
            shadow: folder.appendingPathComponent("shadow").path,
            issuers: []
        )
        #expect(good.errors.isEmpty)
        #expect(good.shadow?.mappings.map(\.file) == ["shadow/a.yaml"] && good.live.mappings.map(\.file) == ["a.yaml"])
        #expect(good.shadow?.set.mapping(forIssuer: "https://a.example.com")?.roles.first?.role == .modelAdmin)

        try mapping("https://b.example.com", "user").write(to: folder.appendingPathComponent("shadow/b.yaml"), atomically: true, encoding: .utf8)
        let bad = try LoadedMappings.load(
            mappings: folder.appendingPathComponent("live").path,
            shadow: folder.appendingPathComponent("shadow").path,
            issuers: []
        )
        #expect(bad.errors.count == 1)
        let error = try #require(bad.errors.first)
        #expect(error.message.contains("the candidate maps issuer 'https://b.example.com', which no live mapping governs"))
        #expect(error.location.file.hasSuffix("shadow/b.yaml") && error.location.line == 2)
    }
}
