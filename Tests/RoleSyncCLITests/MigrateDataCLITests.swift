import Foundation
import Logging
import PostgresNIO
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncPostgres
import RoleSyncSQLite
import RoleSyncTestSupport
import Testing

/// `rolesync migrate-data` (the built binary): a SQLite ledger with every kind of row copied into a
/// scratch PostgreSQL database, then read back through the PostgreSQL store.
@Suite(.enabled(if: ScratchPostgres.isConfigured, "set ROLESYNC_POSTGRES_URL (scripts/peers/postgres start; .ci/run does)"))
struct MigrateDataCLITests {
    /// A ledger with users and their audit (the demo), a key with usage, a session, and a directory.
    static func seed(_ path: String) async throws -> (keyID: Int64, keyValue: String, issuer: String) {
        let demo = try Rolesync.run(["demo", "--database", path])
        #expect(demo.status == 0, "\(demo.stderr)")
        let created = try Rolesync.run(["keys", "create", "--database", path, "--user", "priya.raman@example.com", "--name", "laptop"])
        #expect(created.status == 0, "\(created.stderr)")
        let value = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let store = try SQLiteLedgerStore(path: path)
        let owner = try #require(try await store.users(email: "priya.raman@example.com").first)
        let key = try #require(try await store.keys(ownerID: owner.id).first)
        try await store.recordKeyUses([
            KeyUse(keyID: key.id, requestsByDay: [20_000: 3, 20_001: 5], lastUsedAt: Date(timeIntervalSince1970: 1_728_000_000))
        ])
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        try await store.insertSession(
            Session(tokenHash: "hash-of-a-session", userID: owner.id, createdAt: now, expiresAt: now + 3_600, lastSeenAt: now)
        )
        let person = DirectoryResource(
            issuer: owner.issuer,
            kind: .user,
            id: "u-1",
            externalId: "ext-1",
            name: "pat@example.com",
            attributes: ["userName": "pat@example.com", "active": true],
            version: 1,
            created: now,
            modified: now
        )
        let group = DirectoryResource(
            issuer: owner.issuer,
            kind: .group,
            id: "g-1",
            externalId: nil,
            name: "Staff",
            attributes: ["displayName": "Staff", "members": .array([.object(["value": "u-1"])])],
            version: 1,
            created: now,
            modified: now
        )
        try await store.apply([.insert(person), .insert(group)], LedgerChanges())
        try await store.saveDirectorySyncState(Self.syncState(issuer: owner.issuer, at: now))
        // A webhook endpoint with one message waiting after its cursor, and a failed one.
        try await store.replaceWebhookEndpoints(
            [WebhookEndpointSetting(name: "siem", url: "https://siem.example.com/hooks", actions: [.keyCreated, .keyRevoked])],
            at: now
        )
        try await store.apply(LedgerChanges(audit: [AuditEvent(time: now, actor: .cli, action: .keyRevoked, userID: owner.id)]))
        try await store.seedWebhookFailure(endpoint: "siem", eventID: 1, at: now)
        // A completed access review, its rows as JSON.
        let row = AccessReviewRow(
            userID: owner.id,
            name: owner.name,
            email: owner.email,
            role: owner.role,
            basis: .manual,
            lastSignInAt: now,
            activeKeys: 1,
            keysLastUsedAt: nil
        )
        let review = AccessReview(
            summary: AccessReviewSummary(
                id: 0,
                completedAt: now,
                reviewer: .cli,
                reviewerName: nil,
                holders: 1,
                kept: 1,
                revoked: 0,
                digest: try AccessReview.digest(of: [row])
            ),
            rows: [row]
        )
        _ = try await store.insertAccessReview(review, audit: AuditEvent(time: now, actor: .cli, action: .reviewCompleted))
        return (key.id, value, owner.issuer)
    }

    /// An IdP's directory cursor and last run, as a reconciliation leaves them.
    static func syncState(issuer: String, at time: Date) -> DirectorySyncState {
        DirectorySyncState(
            issuer: issuer,
            source: "okta https://example.okta.com",
            cursor: "okta 2027-01-15T07:55:00.000Z 5e3a",
            lastFullAt: time,
            lastSuccessAt: time,
            lastRun: DirectoryRunSummary(startedAt: time, durationSeconds: 1.25, mode: "full", outcome: "applied", directoryUsers: 4, requests: 7)
        )
    }

    @Test("Every table arrives, ids kept, counts printed; the copy is usable; a second copy into the same database is refused")
    func copies() async throws {
        let folder = try ScratchFolder("migrate-data")
        let path = folder.path("ledger.sqlite")
        let (keyID, keyValue, issuer) = try await Self.seed(path)
        try await ScratchPostgres.with { scratch in
            let url = ReplicaDatabase.url(scratch.settings)
            let dry = try Rolesync.run(["migrate-data", "--from", "sqlite:\(path)", "--to", url, "--dry-run"])
            #expect(dry.status == 0, "\(dry.stderr)")
            #expect(dry.stdout.contains("rolled back; the target holds none of them"))
            #expect(!dry.stdout.contains(scratch.settings.password ?? "\u{0}"), "the password never shows")

            let copy = try Rolesync.run(["migrate-data", "--from", "sqlite:\(path)", "--to", url])
            #expect(copy.status == 0, "\(copy.stderr)")
            let counts = Self.counts(copy.stdout)
            #expect(counts["users"] == 4 && counts["sessions"] == 1 && counts["api_keys"] == 1, "\(copy.stdout)")
            #expect(counts["api_key_usage"] == 2 && counts["directory_resources"] == 2 && counts["directory_members"] == 1, "\(copy.stdout)")
            #expect(counts["directory_sync"] == 1, "\(copy.stdout)")
            #expect(counts["webhook_endpoints"] == 1 && counts["webhook_failures"] == 1 && counts["webhook_attempts"] == 1, "\(copy.stdout)")
            #expect((counts["audit_events"] ?? 0) >= 8)
            #expect(counts["access_reviews"] == 1, "\(copy.stdout)")
            #expect(copy.stdout.contains("every table's count matches the source's"))

            // Read back through the PostgreSQL store: the same users, key, usage, directory.
            let source = try SQLiteLedgerStore(path: path)
            let connected = try await PostgresLedgerStore.open(scratch.settings, logger: ScratchPostgres.logger)
            let target = connected.store
            let before = try await source.users(matching: UsersQuery(limit: 100)).users
            let after = try await target.users(matching: UsersQuery(limit: 100)).users
            #expect(after.map(\.id) == before.map(\.id) && after.map(\.email) == before.map(\.email) && after.map(\.role) == before.map(\.role))
            #expect(after.map(\.lastClaims) == before.map(\.lastClaims))
            let credential = try #require(try await target.credential(hash: SessionService.hash(keyValue)))
            #expect(credential.keyID == keyID, "the key works on PostgreSQL: its hash and id came along")
            #expect(try await target.keyUsage(id: keyID, from: 0).map(\.requests).sorted() == [3, 5])
            #expect(try await target.session(tokenHash: "hash-of-a-session") != nil)
            let review = try #require(try await target.accessReviews(limit: 5).first)
            let copied = try #require(try await target.accessReview(id: review.id))
            #expect(try AccessReview.digest(of: copied.rows) == review.digest, "the review's rows came along as they were digested")
            let group = try #require(try await target.directoryResource(issuer: issuer, kind: .group, id: "g-1"))
            #expect(group.memberIDs == ["u-1"])
            #expect(
                try await target.directorySyncState(issuer: issuer) == Self.syncState(issuer: issuer, at: Date(timeIntervalSince1970: 1_800_000_000))
            )
            #expect(
                try await target.auditEvents(matching: AuditQuery(limit: 500)).events.count
                    == (try await source.auditEvents(matching: AuditQuery(limit: 500)).events.count)
            )
            // New rows get ids past the copied ones.
            let next = try await target.insertKey(
                APIKey(
                    id: 0,
                    userID: before[0].id,
                    name: "after the move",
                    purpose: .gateway,
                    prefix: "rsk_new…",
                    keyHash: "new-hash",
                    createdAt: Date()
                ),
                audit: AuditEvent(time: Date(), actor: .cli, action: .keyCreated, userID: before[0].id)
            )
            #expect(next > keyID)
            // The endpoint's cursor still stands right before the waiting messages (the revocation
            // and the review's event): those, then what is written after the move, and nothing
            // copied before them.
            let siem = try #require(try await target.webhookEndpoints().first)
            #expect(siem.leaseOwner == nil && siem.url == "https://siem.example.com/hooks")
            let waiting = try await target.auditStream(after: siem.cursor, atLeast: 3)
            #expect(waiting.map(\.event.action) == [.keyRevoked, .reviewCompleted, .keyCreated])
            #expect(try await target.webhookFailures(endpoint: "siem", retryRequested: nil, limit: 10).map(\.lastStatus) == [503])
            await connected.close()

            let again = try Rolesync.run(["migrate-data", "--from", "sqlite:\(path)", "--to", url])
            #expect(again.status == 1)
            #expect(again.stderr.contains("the target database is not empty (users holds 4 rows)"), "\(again.stderr)")
        }
    }

    @Test("A row PostgreSQL refuses (two directory names equal but for non-ASCII case) fails the copy whole: the target stays empty")
    func failsWhole() async throws {
        let folder = try ScratchFolder("migrate-data")
        let path = folder.path("ledger.sqlite")
        let (_, _, issuer) = try await Self.seed(path)
        // SQLite's NOCASE folds ASCII only, so it keeps both; PostgreSQL's lower() folds É too.
        let store = try SQLiteLedgerStore(path: path)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let names = ["Élodie@example.com", "élodie@example.com"]
        try await store.apply(
            names.enumerated().map { index, name in
                .insert(
                    DirectoryResource(
                        issuer: issuer,
                        kind: .user,
                        id: "e-\(index)",
                        externalId: nil,
                        name: name,
                        attributes: ["userName": .string(name)],
                        version: 1,
                        created: now,
                        modified: now
                    )
                )
            },
            LedgerChanges()
        )
        try await ScratchPostgres.with { scratch in
            let failed = try Rolesync.run(["migrate-data", "--from", path, "--to", ReplicaDatabase.url(scratch.settings)])
            #expect(failed.status == 1)
            #expect(failed.stderr.contains("directory_resources:") && failed.stderr.contains("nothing was copied"), "\(failed.stderr)")
            try await withPostgresClient(scratch.settings, logger: ScratchPostgres.logger) { client in
                for table in ["users", "sessions", "audit_events", "api_keys", "api_key_usage", "directory_resources"] {
                    let rows = try await client.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"), logger: ScratchPostgres.logger)
                    for try await count in rows.decode(Int64.self) { #expect(count == 0, "\(table)") }
                }
            }
        }
    }

    @Test("Bad arguments name the option: a missing file, a URL as the source, a SQLite path as the target")
    func badArguments() throws {
        let missing = try Rolesync.run(["migrate-data", "--from", "sqlite:/nonexistent/ledger.sqlite", "--to", "postgres://u@127.0.0.1:1/db"])
        #expect(missing.status == 1 && missing.stderr.contains("--from: /nonexistent/ledger.sqlite: no such file"), "\(missing.stderr)")
        let url = try Rolesync.run(["migrate-data", "--from", "postgres://u@h/db", "--to", "postgres://u@h/db"])
        #expect(url.status == 2 && url.stderr.contains("--from: the source is a SQLite ledger file, not a URL"), "\(url.stderr)")
        let path = try Rolesync.run(["migrate-data", "--from", "sqlite:a.sqlite", "--to", "b.sqlite"])
        #expect(path.status == 2 && path.stderr.contains("--to: give a postgres:// or postgresql:// URL"), "\(path.stderr)")
    }

    /// The table counts the report prints.
    static func counts(_ output: String) -> [String: Int] {
        var counts: [String: Int] = [:]
        for line in output.split(separator: "\n") where line.hasPrefix("  ") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let count = Int(parts[1]) { counts[String(parts[0])] = count }
        }
        return counts
    }
}
