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

    @Test("--format csv exports every matching user, key and event, past one page; Python's csv module reads it back")
    func exports() throws {
        let scratch = try ScratchFolder("demo-export")
        let database = scratch.path("ledger.sqlite")
        #expect(try Rolesync.run(["demo", "--database", database, "--people", "60", "--keys", "30"]).status == 0)

        let users = try Rolesync.run(["users", "list", "--database", database, "--format", "csv", "--limit", "5", "--sort", "email"])
        #expect(users.status == 0, "\(users.stderr)")
        let rows = try PythonCSV.rows(of: Data(users.stdout.utf8))
        #expect(rows.first?.prefix(3) == ["id", "name", "email"])
        #expect(rows.count - 1 >= 60, "every user, not a page of --limit 5: \(rows.count - 1)")
        let emails = rows.dropFirst().map { $0[2] }
        #expect(emails == emails.sorted() && emails.contains("chen.novak@example.com"))
        // O'Brien's apostrophe is kept; nothing here starts like a formula.
        #expect(rows.contains { $0[1] == "Sean O'Brien" })

        let keys = try Rolesync.run(["keys", "list", "--database", database, "--format", "csv", "--status", "revoked"])
        let revoked = try PythonCSV.rows(of: Data(keys.stdout.utf8))
        #expect(revoked.count == 1 + 3, "the header and the demo's three revoked keys: \(keys.stdout)")
        #expect(revoked.dropFirst().allSatisfy { $0[4] == "revoked" && $0[13] == "demo: no longer used" })

        let audit = try Rolesync.run(["audit", "--database", database, "--format", "csv", "--action", "key.revoked"])
        let events = try PythonCSV.rows(of: Data(audit.stdout.utf8))
        #expect(events.count == 1 + 3 && events.dropFirst().allSatisfy { $0[5].contains("revoked") && $0[5].contains("@example.com") })

        let jsonl = try Rolesync.run(["keys", "list", "--database", database, "--format", "jsonl"])
        #expect(jsonl.stdout.split(separator: "\n").count == 30)
        let cursorToo = try Rolesync.run(["users", "list", "--database", database, "--format", "csv", "--cursor", "abc"])
        #expect(cursorToo.status == 2 && cursorToo.stderr.contains("--cursor does not go with --format csv"), "\(cursorToo.stderr)")
        #expect(try Rolesync.run(["audit", "--database", database, "--format", "csv", "--follow"]).status == 2)
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
