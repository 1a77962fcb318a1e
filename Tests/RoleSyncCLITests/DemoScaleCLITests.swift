import Foundation
import RoleSyncTestSupport
import Testing

@Suite("rolesync demo at an operator's scale, and the audit log read as sentences")
struct DemoScaleCLITests {
    @Test("--people and --keys sign in named copies of the examples and give them keys; audit prints each event as a sentence")
    func people() throws {
        let scratch = try ScratchFolder("demo-scale")
        let database = scratch.path("ledger.sqlite")
        let demo = try Rolesync.run(["demo", "--database", database, "--people", "12", "--keys", "10"])
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(demo.stdout.contains("== 12 generated people and 10 gateway keys"), "\(demo.stdout)")
        #expect(demo.stdout.contains("signed in 12 people"))
        #expect(demo.stdout.contains("created 10 gateway keys (1 revoked)"))

        let users = try Rolesync.run(["users", "list", "--database", database, "--format", "json", "--limit", "500"])
        #expect(users.status == 0, "\(users.stderr)")
        #expect(users.stdout.contains("chen.novak@example.com") && users.stdout.contains("\"Chen Novak\""), "\(users.stdout)")

        let audit = try Rolesync.run(["audit", "--database", database, "--action", "key.revoked"])
        #expect(audit.status == 0, "\(audit.stderr)")
        let lines = audit.stdout.split(separator: "\n")
        #expect(lines.count == 2, "\(audit.stdout)")
        // id, time, action, then the sentence naming the owner by name and email.
        #expect(
            lines.first?.wholeMatch(
                of:
                    #/\d+  \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ  key\.revoked  An operator \(command line\) revoked vector-1 \(rsk_\S+\) of [^<]+ <[^>]+@example\.com>: demo: no longer used/#
            ) != nil,
            "\(audit.stdout)"
        )
        #expect(lines.last == "1 event")
    }

    @Test("--keys without --people, or a count out of range, is a usage error naming the option")
    func refusals() throws {
        let scratch = try ScratchFolder("demo-scale-refused")
        let database = scratch.path("ledger.sqlite")
        let keysAlone = try Rolesync.run(["demo", "--database", database, "--keys", "3"])
        #expect(keysAlone.status == 64 || keysAlone.status == 2, "\(keysAlone.status)")
        #expect(keysAlone.stderr.contains("--keys needs --people"), "\(keysAlone.stderr)")
        let negative = try Rolesync.run(["demo", "--database", database, "--people", "-1"])
        #expect(negative.status != 0)
        #expect(!FileManager.default.fileExists(atPath: database), "a refused demo creates no ledger")
    }
}
