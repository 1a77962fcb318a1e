import Foundation
import GRDB
import Testing

@testable import RoleSyncSQLite

@Suite("SQLite ledger migrations over data")
struct SQLiteMigrationTests {
    @Test("v11 rebuilds api_keys: every key and its usage kept as it was, the new columns empty, revocation and roll stay permanent")
    func keysRebuilt() throws {
        let queue = try DatabaseQueue()
        try LedgerSchema.migrator.migrate(queue, upTo: "v10: key names in the introspection index")
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO users (id, issuer, subject, email, role, role_source, status, registered_at, last_claims, version)
                        VALUES (1, 'https://idp', 'ann', 'ann@example.com', 'user', 'idp', 'active', 0, '{}', 1);
                    INSERT INTO api_keys (id, user_id, name, purpose, prefix, key_hash, created_at, expires_at, last_used_at)
                        VALUES (7, 1, 'ci', 'gateway', 'rsk_a…aaaa', 'h7', 10, 100, 50);
                    INSERT INTO api_keys (id, user_id, name, purpose, prefix, key_hash, created_at, revoked_at, revoked_by,
                            revocation_cause, revocation_reason)
                        VALUES (8, 1, 'old', 'gateway', 'rsk_b…bbbb', 'h8', 11, 20, 'cli', 'admin', 'leaked');
                    INSERT INTO api_key_usage (key_id, day, requests) VALUES (7, 1, 3);
                    """
            )
        }
        let before = try queue.read { db in try Row.fetchAll(db, sql: "SELECT * FROM api_keys ORDER BY id") }
        try LedgerSchema.migrator.migrate(queue)
        try queue.read { db in
            let after = try Row.fetchAll(db, sql: "SELECT * FROM api_keys ORDER BY id")
            #expect(after.count == 2)
            for (old, new) in zip(before, after) {
                for column in old.columnNames { #expect(old[column] as DatabaseValue == new[column] as DatabaseValue, "\(column)") }
                #expect(new["rolled_from"] as DatabaseValue == .null && new["rolled_to"] as DatabaseValue == .null)
            }
            #expect(try Int.fetchOne(db, sql: "SELECT requests FROM api_key_usage WHERE key_id = 7") == 3)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM pragma_foreign_key_check") == 0)
            let indexes = try String.fetchAll(
                db,
                sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'api_keys' AND sql IS NOT NULL"
            )
            #expect(Set(indexes) == ["api_keys_by_user", "api_keys_by_hash", "api_keys_by_last_used", "api_keys_by_created", "api_keys_by_name"])
        }
        try queue.write { db in
            try db.execute(sql: "UPDATE api_keys SET revoked_at = 30, revoked_by = 'cli', revocation_cause = 'stale' WHERE id = 7")
            #expect(throws: DatabaseError.self, "a revoked key stays revoked") {
                try db.execute(sql: "UPDATE api_keys SET revocation_reason = 'changed' WHERE id = 8")
            }
            try db.execute(sql: "UPDATE api_keys SET rolled_to = 9, rolled_at = 40 WHERE id = 8")
            #expect(throws: DatabaseError.self, "a rolled key stays rolled") {
                try db.execute(sql: "UPDATE api_keys SET rolled_to = 10 WHERE id = 8")
            }
            #expect(throws: DatabaseError.self, "an unknown cause is refused") {
                try db.execute(
                    sql: """
                        INSERT INTO api_keys (user_id, name, purpose, prefix, key_hash, created_at, revoked_at, revoked_by, revocation_cause)
                        VALUES (1, 'x', 'gateway', 'p', 'h', 0, 1, 'cli', 'whim')
                        """
                )
            }
        }
    }
}
