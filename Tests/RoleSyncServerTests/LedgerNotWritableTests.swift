import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncOIDC
import RoleSyncSQLite
import RoleSyncTestSupport
import Testing

/// A SQLite ledger that answers reads but cannot write (a full disk, a read-only file): sign-ins
/// answer 503 `ledger_not_writable` saying nothing changed, the log names SQLite's code, `/readyz`
/// says the ledger is not writable while `/healthz` (a read) stays up, and everything works again
/// once the ledger can write.
@Suite("The ledger's database cannot write")
struct LedgerNotWritableTests {
    /// Makes the harness's writer connection refuse every write (`SQLITE_READONLY`), or lifts that.
    static func readOnly(_ on: Bool, _ harness: SignInHarness) async throws {
        try await harness.store.writer.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA query_only = \(on ? 1 : 0)")
        }
    }

    @Test("A first sign-in answers 503 ledger_not_writable, /readyz says not_writable, and both recover")
    func readOnlyLedger() async throws {
        let harness = try await SignInHarness()
        try await harness.test { client in
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .ok)
            try await Self.readOnly(true, harness)

            let login = try await harness.startLogin(client)
            let token = TokenMinter.idToken(key: .rsa, alg: "RS256", claims: harness.claims(nonce: login.nonce))
            let refused = try await harness.callback(client, login: login, idToken: token)
            #expect(refused.status == .serviceUnavailable, "\(String(buffer: refused.body))")
            #expect(refused.headers[.retryAfter] == "5")
            let problem = try SignInHarness.json(refused)
            #expect(problem["code"] == "ledger_not_writable")
            #expect(problem["detail"]?.stringValue?.contains("nothing was changed") == true)
            #expect(harness.logText.contains("the ledger's database cannot write"), "\(harness.logText)")
            #expect(harness.logText.contains("SQLITE_READONLY"), "the log names SQLite's code")

            let page = try await harness.callback(client, login: login, idToken: token, json: false)
            #expect(page.status == .serviceUnavailable)
            #expect(String(buffer: page.body).contains("<title>Ledger cannot write"))

            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok, "reads still work")
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .serviceUnavailable)
            #expect(try SignInHarness.json(ready)["status"] == "not_writable")
            #expect(try await harness.userCount() == 0)

            try await Self.readOnly(false, harness)
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .ok)
            _ = try await harness.signIn(client)
            #expect(try await harness.userCount() == 1)
        }
    }

    static func user(_ subject: String, padding: Int) -> User {
        let time = Date(timeIntervalSince1970: 1_800_000_000)
        return User(
            id: UserID(0), issuer: "https://idp.example.com", subject: subject, email: "\(subject)@example.com", name: subject,
            organizationUnit: nil, role: .user, roleSource: .idp, status: .active, deactivationReason: nil, deactivationSource: nil,
            registeredAt: time, lastSignInAt: time, signInCount: 1,
            lastClaims: Claims(["sub": .string(subject), "padding": .string(String(repeating: "x", count: padding))]), version: 1
        )
    }

    @Test("A full database file is notWritable naming SQLITE_FULL, writes nothing, and writes again once it has room")
    func fullLedger() async throws {
        let folder = try ScratchFolder("full")
        let store = try SQLiteLedgerStore(path: folder.path("ledger.sqlite"))
        // The file may not grow past its size now: the first write that needs a new page fails.
        try await store.writer.writeWithoutTransaction { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            try db.execute(sql: "PRAGMA max_page_count = \(pages)")
        }
        var written = 0
        var failure: LedgerStoreError?
        for index in 0..<2_000 where failure == nil {
            let user = Self.user("filler-\(index)", padding: 2_000)
            do {
                try await store.apply(LedgerChanges(users: [.init(write: .insert(user))]))
                written += 1
            } catch let error as LedgerStoreError {
                failure = error
            }
        }
        guard case .notWritable(let reason)? = failure else {
            Issue.record("no notWritable after \(written) users: \(String(describing: failure))")
            return
        }
        #expect(reason.contains("SQLITE_FULL"), "\(reason)")
        #expect(try await store.userCount() == written, "the failed write left nothing behind")
        try await store.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = 1073741823") }
        try await store.apply(LedgerChanges(users: [.init(write: .insert(Self.user("after", padding: 0)))]))
        #expect(try await store.userCount() == written + 1)
    }
}
