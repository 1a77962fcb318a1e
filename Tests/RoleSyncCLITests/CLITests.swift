import Foundation
import RoleSyncTestSupport
import Synchronization
import Testing

/// End-to-end tests of the built `rolesync` binary: exact stdout, stderr and exit code, compared
/// with golden files. Set ROLESYNC_UPDATE_GOLDEN=1 to rewrite them after a deliberate change,
/// then review the diff.
@Suite("rolesync CLI (golden)")
struct CLITests {
    struct Case: CustomTestStringConvertible, Sendable {
        var golden: String
        var arguments: [String]
        var stdin: String? = nil
        var testDescription: String { "rolesync " + arguments.joined(separator: " ") }
    }

    static let cases: [Case] = [
        Case(golden: "reconcile-no-config", arguments: ["reconcile"]),
        Case(golden: "reconcile-no-directory", arguments: ["reconcile", "--config", "Tests/RoleSyncCLITests/Fixtures/serve-no-directory.yaml"]),
        Case(
            golden: "reconcile-token-unset",
            arguments: ["reconcile", "--config", "Tests/RoleSyncCLITests/Fixtures/serve-directory.yaml", "--dry-run"]
        ),
        Case(golden: "check-examples", arguments: ["mapping", "check", "mappings/"]),
        Case(golden: "check-invalid", arguments: ["mapping", "check", "Tests/RoleSyncCLITests/Fixtures/invalid.yaml"]),
        Case(
            golden: "check-duplicate-issuer",
            arguments: ["mapping", "check", "mappings/okta.yaml", "Tests/RoleSyncCLITests/Fixtures/duplicate-issuer.yaml"]
        ),
        Case(golden: "check-missing-path", arguments: ["mapping", "check", "no/such/folder"]),
        Case(
            golden: "test-duplicate-issuer",
            arguments: ["mapping", "test", "mappings/okta.yaml", "Tests/RoleSyncCLITests/Fixtures/duplicate-issuer.yaml"]
        ),
        Case(golden: "test-examples", arguments: ["mapping", "test", "mappings"]),
        Case(golden: "test-failing", arguments: ["mapping", "test", "Tests/RoleSyncCLITests/Fixtures/failing-tests.yaml"]),
        Case(golden: "test-invalid", arguments: ["mapping", "test", "Tests/RoleSyncCLITests/Fixtures/invalid.yaml"]),
        Case(
            golden: "dry-run-okta-admin",
            arguments: ["mapping", "dry-run", "mappings/okta.yaml", "--claims", "examples/claims/okta-admin.json"]
        ),
        Case(
            golden: "dry-run-okta-admin-json",
            arguments: [
                "mapping", "dry-run", "mappings/okta.yaml", "--claims", "examples/claims/okta-admin.json", "--format", "json",
            ]
        ),
        Case(
            golden: "dry-run-okta-leaver",
            arguments: ["mapping", "dry-run", "mappings/okta.yaml", "--claims", "examples/claims/okta-leaver.json"]
        ),
        Case(
            golden: "dry-run-folder-entra-overage",
            arguments: ["mapping", "dry-run", "mappings", "--claims", "examples/claims/entra-overage.json"]
        ),
        Case(
            golden: "dry-run-folder-entra-overage-json",
            arguments: ["mapping", "dry-run", "mappings", "--claims", "examples/claims/entra-overage.json", "--format", "json"]
        ),
        Case(
            golden: "dry-run-keycloak-json",
            arguments: [
                "mapping", "dry-run", "mappings/keycloak.yaml", "--claims", "examples/claims/keycloak-billing.json", "--format",
                "json",
            ]
        ),
        Case(
            golden: "dry-run-google",
            arguments: ["mapping", "dry-run", "mappings/google.yaml", "--claims", "examples/claims/google-user.json"]
        ),
        Case(
            golden: "dry-run-stdin-near-miss",
            arguments: ["mapping", "dry-run", "mappings/okta.yaml", "--claims", "-"],
            stdin:
                #"{"iss":"https://example.okta.com/oauth2/default","email":"a@example.com","email_verified":"true","groups":["Platform-Admins"," eng-web"]}"#
        ),
        Case(
            golden: "dry-run-id-token",
            arguments: ["mapping", "dry-run", "mappings/okta.yaml", "--id-token", "Tests/RoleSyncCLITests/Fixtures/okta-engineer.jwt"]
        ),
        Case(
            golden: "dry-run-id-token-json",
            arguments: [
                "mapping", "dry-run", "mappings/okta.yaml", "--id-token", "Tests/RoleSyncCLITests/Fixtures/okta-engineer.jwt",
                "--format", "json",
            ]
        ),
        Case(
            golden: "dry-run-bad-jwt",
            arguments: ["mapping", "dry-run", "mappings/okta.yaml", "--id-token", "Tests/RoleSyncCLITests/Fixtures/not-a-jwt.txt"]
        ),
        Case(
            golden: "dry-run-not-an-object",
            arguments: ["mapping", "dry-run", "mappings/okta.yaml", "--claims", "Tests/RoleSyncCLITests/Fixtures/list.json"]
        ),
        Case(
            golden: "dry-run-bad-json-stdin",
            arguments: ["mapping", "dry-run", "mappings/okta.yaml", "--claims", "-"],
            stdin: "{\"a\": 1,\n \"b\": tru }"
        ),
        Case(
            golden: "dry-run-unreadable",
            arguments: ["mapping", "dry-run", "mappings/okta.yaml", "--claims", "examples/claims/missing.json"]
        ),
        Case(
            golden: "dry-run-invalid-mapping",
            arguments: ["mapping", "dry-run", "Tests/RoleSyncCLITests/Fixtures/invalid.yaml", "--claims", "examples/claims/okta-admin.json"]
        ),
        Case(golden: "dry-run-no-claims", arguments: ["mapping", "dry-run", "mappings/okta.yaml"]),
        Case(
            golden: "dry-run-both-inputs",
            arguments: ["mapping", "dry-run", "mappings/okta.yaml", "--claims", "a.json", "--id-token", "b.jwt"]
        ),
        Case(golden: "dry-run-bad-format", arguments: ["mapping", "dry-run", "mappings/okta.yaml", "--claims", "a.json", "--format", "xml"]),
        Case(golden: "unknown-subcommand", arguments: ["mapping", "lint", "mappings"]),
        Case(golden: "help", arguments: ["--help"]),
        Case(golden: "mapping-help", arguments: ["mapping", "--help"]),
        Case(golden: "keys-help", arguments: ["keys", "--help"]),
        Case(golden: "events-help", arguments: ["events", "--help"]),
        Case(
            golden: "events-invalid-config",
            arguments: ["serve", "--check", "--config", "Tests/RoleSyncCLITests/Fixtures/serve-webhooks-invalid.yaml"]
        ),
        Case(
            golden: "events-test-unknown",
            arguments: ["events", "test", "siem", "--config", "Tests/RoleSyncCLITests/Fixtures/serve-no-directory.yaml"]
        ),
        Case(golden: "keys-revoke-no-reason", arguments: ["keys", "revoke", "3"]),
        Case(golden: "keys-roll-help", arguments: ["keys", "roll", "--help"]),
        Case(golden: "keys-roll-bad-overlap", arguments: ["keys", "roll", "3", "--old-expires-in", "8d"]),
    ]

    @Test(arguments: cases)
    func golden(_ c: Case) throws {
        let run = try Rolesync.run(c.arguments, stdin: c.stdin)
        let transcript = """
            $ rolesync \(c.arguments.joined(separator: " "))
            exit: \(run.status)
            --- stdout
            \(run.stdout)--- stderr
            \(run.stderr)
            """
        let url = Rolesync.packageRoot.appendingPathComponent("Tests/RoleSyncCLITests/Golden/\(c.golden).txt")
        if ProcessInfo.processInfo.environment["ROLESYNC_UPDATE_GOLDEN"] != nil {
            try transcript.write(to: url, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(transcript == expected)
    }

    @Test("dry-run --format json keeps the keys scripts depend on")
    func jsonKeys() throws {
        let run = try Rolesync.run(
            ["mapping", "dry-run", "mappings/okta.yaml", "--claims", "examples/claims/okta-engineer.json", "--format", "json"]
        )
        #expect(run.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        for key in ["allowed", "role", "covered", "rule", "deactivate", "profile", "trace"] {
            #expect(object[key] != nil, "missing key \(key)")
        }
        #expect(object["role"] as? String == "user")
        #expect(object["rule"] as? String == "engineers")
        #expect(object["allowed"] as? Bool == true)
    }

    @Test("An uncovered user's role and rule are JSON null, not missing")
    func nullRoleIsExplicit() throws {
        let run = try Rolesync.run(
            ["mapping", "dry-run", "mappings/okta.yaml", "--claims", "-", "--format", "json"],
            stdin: #"{"email":"x@example.com","email_verified":true,"groups":["sales"]}"#
        )
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(object["role"] is NSNull)
        #expect(object["rule"] is NSNull)
        #expect(object["covered"] as? Bool == false)
    }
}

extension CLITests {
    /// The version is kept in VERSION alone; the binary says it with the commit it was built from
    /// (Plugins/BuildInfoPlugin).
    @Test("--version prints VERSION's version and the commit the binary was built from")
    func version() throws {
        let expected = try String(contentsOf: Rolesync.packageRoot.appendingPathComponent("VERSION"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(expected.wholeMatch(of: /\d+\.\d+\.\d+/) != nil, "VERSION: \(expected)")
        let run = try Rolesync.run(["--version"])
        #expect(run.status == 0, "\(run.stderr)")
        let line = run.stdout.trimmingCharacters(in: .newlines)
        let match = try #require(line.wholeMatch(of: /rolesync (\S+) \(commit ([0-9a-f]{12}(-dirty)?|unknown)\)/), "\(line)")
        #expect(String(match.1) == expected)
        // A checkout (the tests run in one) names its commit.
        let head = try Rolesync.run(
            ["-C", Rolesync.packageRoot.path, "rev-parse", "--short=12", "HEAD"],
            program: URL(fileURLWithPath: "/usr/bin/git")
        )
        if head.status == 0 {
            #expect(String(match.2).hasPrefix(head.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
    }

    /// Over 64 KiB of diagnostics on stderr while stdout stays open: a runner that read stdout to
    /// the end before stderr waited forever here.
    @Test("A command that fills stderr before it ends stdout does not hang the runner", .timeLimit(.minutes(1)))
    func largeStderr() throws {
        let scratch = try ScratchFolder("big")
        let file = scratch.url.appendingPathComponent("big.yaml")
        let rules = (0..<1500).map { "  - { id: r\($0), role: superadmin }" }.joined(separator: "\n")
        try "version: 1\nissuer: https://idp.example.com\nroles:\n\(rules)\n".write(to: file, atomically: true, encoding: .utf8)
        let run = try Rolesync.run(["mapping", "check", file.path])
        #expect(run.status == 1)
        #expect(run.stderr.utf8.count > 65_536)
        #expect(run.stderr.components(separatedBy: "unknown role 'superadmin'").count - 1 == 1500)
    }
}

/// Runs the `rolesync` binary built next to the test bundle, from the package root.
enum Rolesync {
    struct Run: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func executable() throws -> URL {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL,
            Bundle.main.bundleURL.deletingLastPathComponent(),
        ]
        for directory in candidates {
            let url = directory.appendingPathComponent("rolesync")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "rolesync next to \(candidates)"])
    }

    /// Runs `rolesync` (or, given, another program: a peer's script) from the package root.
    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:], program: URL? = nil) throws -> Run {
        let process = Process()
        process.executableURL = try program ?? executable()
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.currentDirectoryURL = packageRoot
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        // Feed stdin and drain stderr on their own threads while this one drains stdout: a child
        // that fills one pipe while the runner blocks on another would wait forever.
        let group = DispatchGroup()
        let stderrData = Mutex(Data())
        DispatchQueue.global().async(group: group) {
            let data = err.fileHandleForReading.readDataToEndOfFile()
            stderrData.withLock { $0 = data }
        }
        DispatchQueue.global().async(group: group) {
            if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
            try? input.fileHandleForWriting.close()
        }
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus,
            stdout: String(decoding: stdoutData, as: UTF8.self),
            stderr: String(decoding: stderrData.withLock { $0 }, as: UTF8.self)
        )
    }
}
