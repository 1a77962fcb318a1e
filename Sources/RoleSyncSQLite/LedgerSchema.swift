import GRDB

/// The ledger's schema. Migrations are never edited once shipped: add a new one.
enum LedgerSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: users, sessions, audit log") { db in
            try db.execute(
                sql: """
                    CREATE TABLE users (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        issuer TEXT NOT NULL,
                        subject TEXT NOT NULL,
                        email TEXT,
                        name TEXT,
                        organization_unit TEXT,
                        role TEXT NOT NULL CHECK (role IN ('super_admin', 'model_admin', 'provider_admin', 'mcp_admin',
                                                           'user_admin', 'billing_admin', 'user')),
                        role_source TEXT NOT NULL CHECK (role_source IN ('idp', 'manual', 'default')),
                        status TEXT NOT NULL CHECK (status IN ('active', 'inactive')),
                        deactivation_reason TEXT CHECK (deactivation_reason IN ('idp', 'manual')),
                        deactivation_source TEXT,
                        registered_at REAL NOT NULL,
                        last_sign_in_at REAL,
                        sign_in_count INTEGER NOT NULL DEFAULT 0,
                        last_claims TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        UNIQUE (issuer, subject),
                        CHECK ((status = 'active') = (deactivation_reason IS NULL))
                    );
                    CREATE INDEX users_email ON users (email COLLATE NOCASE);
                    CREATE INDEX users_by_name ON users (coalesce(name, '') COLLATE NOCASE, id);
                    CREATE INDEX users_by_email ON users (coalesce(email, '') COLLATE NOCASE, id);
                    CREATE INDEX users_by_last_sign_in ON users (coalesce(last_sign_in_at, 0), id);
                    CREATE INDEX users_by_registration ON users (registered_at, id);
                    CREATE INDEX users_by_role_status ON users (role, status);

                    CREATE TABLE sessions (
                        token_hash TEXT PRIMARY KEY,
                        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                        created_at REAL NOT NULL,
                        expires_at REAL NOT NULL,
                        last_seen_at REAL NOT NULL
                    );
                    CREATE INDEX sessions_by_user ON sessions (user_id);

                    CREATE TABLE audit_events (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        time REAL NOT NULL,
                        actor TEXT NOT NULL,
                        action TEXT NOT NULL,
                        user_id INTEGER REFERENCES users (id),
                        issuer TEXT,
                        subject TEXT,
                        details TEXT NOT NULL
                    );
                    CREATE INDEX audit_by_user ON audit_events (user_id, id);
                    CREATE INDEX audit_by_action ON audit_events (action, id);
                    CREATE INDEX audit_by_time ON audit_events (time);
                    CREATE TRIGGER audit_events_are_never_updated BEFORE UPDATE ON audit_events
                        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    CREATE TRIGGER audit_events_are_never_deleted BEFORE DELETE ON audit_events
                        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                    """
            )
        }
        migrator.registerMigration("v2: trigram index for users search") { db in
            // Substring search of name and email: a trigram full-text index kept in step by triggers.
            // A LIKE over 100,000 rows took ~45 ms when few users match.
            try db.execute(
                sql: """
                    CREATE VIRTUAL TABLE users_search USING fts5(
                        name, email, content = 'users', content_rowid = 'id', tokenize = 'trigram'
                    );
                    INSERT INTO users_search (rowid, name, email) SELECT id, coalesce(name, ''), coalesce(email, '') FROM users;
                    CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
                        INSERT INTO users_search (rowid, name, email) VALUES (new.id, coalesce(new.name, ''), coalesce(new.email, ''));
                    END;
                    CREATE TRIGGER users_search_update AFTER UPDATE OF name, email ON users
                        WHEN old.name IS NOT new.name OR old.email IS NOT new.email BEGIN
                        INSERT INTO users_search (users_search, rowid, name, email)
                            VALUES ('delete', old.id, coalesce(old.name, ''), coalesce(old.email, ''));
                        INSERT INTO users_search (rowid, name, email) VALUES (new.id, coalesce(new.name, ''), coalesce(new.email, ''));
                    END;
                    """
            )
        }
        migrator.registerMigration("v3: admin API tokens") { db in
            try db.execute(
                sql: """
                    CREATE TABLE api_tokens (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                        name TEXT NOT NULL,
                        prefix TEXT NOT NULL,
                        token_hash TEXT NOT NULL UNIQUE,
                        created_at REAL NOT NULL,
                        expires_at REAL,
                        last_used_at REAL
                    );
                    CREATE INDEX api_tokens_by_user ON api_tokens (user_id);
                    """
            )
        }
        migrator.registerMigration("v4: users search indexed when searched, not on sign-in") { db in
            // Indexing a user's trigrams cost a first sign-in ~170 µs. New users are now indexed in
            // batches by the first search after them: `search_index_position` is the highest user id in
            // the index. Renames of indexed users still go through a trigger.
            try db.execute(
                sql: """
                    DROP TRIGGER users_search_insert;
                    DROP TRIGGER users_search_update;
                    CREATE TABLE search_index_position (id INTEGER NOT NULL);
                    INSERT INTO search_index_position (id) SELECT coalesce(max(id), 0) FROM users;
                    CREATE TRIGGER users_search_update AFTER UPDATE OF name, email ON users
                        WHEN (old.name IS NOT new.name OR old.email IS NOT new.email)
                            AND old.id <= (SELECT id FROM search_index_position) BEGIN
                        INSERT INTO users_search (users_search, rowid, name, email)
                            VALUES ('delete', old.id, coalesce(old.name, ''), coalesce(old.email, ''));
                        INSERT INTO users_search (rowid, name, email) VALUES (new.id, coalesce(new.name, ''), coalesce(new.email, ''));
                    END;
                    """
            )
        }
        migrator.registerMigration("v5: one email index") { db in
            // users_by_email (coalesce(email, '') COLLATE NOCASE, id) serves look-ups by email too;
            // a second index cost every first sign-in an extra B-tree insert.
            try db.execute(sql: "DROP INDEX users_email")
        }
        migrator.registerMigration("v6: directory entries pushed over SCIM") { db in
            // People and groups an IdP pushed, per IdP; a person becomes a ledger user only by
            // signing in. Group memberships are kept apart so a person's groups are one index look-up.
            try db.execute(
                sql: """
                    CREATE TABLE directory_resources (
                        issuer TEXT NOT NULL,
                        kind TEXT NOT NULL CHECK (kind IN ('User', 'Group')),
                        id TEXT NOT NULL,
                        external_id TEXT,
                        name TEXT NOT NULL,
                        attributes TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        created REAL NOT NULL,
                        modified REAL NOT NULL,
                        PRIMARY KEY (issuer, kind, id)
                    );
                    CREATE UNIQUE INDEX directory_user_names ON directory_resources (issuer, name COLLATE NOCASE)
                        WHERE kind = 'User';
                    CREATE INDEX directory_by_name ON directory_resources (issuer, kind, name COLLATE NOCASE);
                    CREATE INDEX directory_by_external_id ON directory_resources (issuer, kind, external_id);
                    CREATE TABLE directory_members (
                        issuer TEXT NOT NULL,
                        group_id TEXT NOT NULL,
                        member_id TEXT NOT NULL,
                        PRIMARY KEY (issuer, group_id, member_id)
                    );
                    CREATE INDEX directory_members_by_member ON directory_members (issuer, member_id);
                    """
            )
        }
        migrator.registerMigration("v7: API keys replace admin API tokens") { db in
            // Admin API tokens become keys of purpose `admin`, their hashes and dates kept, so they
            // keep working. A revoked key stays (revocation is permanent and audited), so revocation
            // is a column, never a delete. Usage is a count per key and UTC day.
            try db.execute(
                sql: """
                    CREATE TABLE api_keys (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                        name TEXT NOT NULL,
                        purpose TEXT NOT NULL CHECK (purpose IN ('gateway', 'admin')),
                        prefix TEXT NOT NULL,
                        key_hash TEXT NOT NULL UNIQUE,
                        created_at REAL NOT NULL,
                        expires_at REAL,
                        last_used_at REAL,
                        revoked_at REAL,
                        revoked_by TEXT,
                        revocation_cause TEXT CHECK (revocation_cause IN ('owner', 'admin', 'offboarding', 'deactivation')),
                        revocation_reason TEXT,
                        CHECK ((revoked_at IS NULL) = (revoked_by IS NULL) AND (revoked_at IS NULL) = (revocation_cause IS NULL))
                    );
                    INSERT INTO api_keys (id, user_id, name, purpose, prefix, key_hash, created_at, expires_at, last_used_at)
                        SELECT id, user_id, name, 'admin', prefix || '…', token_hash, created_at, expires_at, last_used_at FROM api_tokens;
                    DROP TABLE api_tokens;
                    CREATE INDEX api_keys_by_user ON api_keys (user_id, id);
                    -- Everything introspection reads of a key, so its look-up never visits the table.
                    CREATE INDEX api_keys_by_hash ON api_keys (key_hash, purpose, created_at, expires_at, revoked_at, user_id);
                    CREATE INDEX api_keys_by_last_used ON api_keys (coalesce(last_used_at, -1), id);
                    CREATE INDEX api_keys_by_created ON api_keys (created_at, id);
                    CREATE INDEX api_keys_by_name ON api_keys (name COLLATE NOCASE, id);
                    CREATE TRIGGER api_keys_stay_revoked BEFORE UPDATE OF revoked_at, revoked_by, revocation_cause, revocation_reason
                        ON api_keys WHEN old.revoked_at IS NOT NULL
                        BEGIN SELECT RAISE(ABORT, 'a revoked key stays revoked'); END;
                    CREATE TABLE api_key_usage (
                        key_id INTEGER NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
                        day INTEGER NOT NULL,
                        requests INTEGER NOT NULL,
                        PRIMARY KEY (key_id, day)
                    ) WITHOUT ROWID;
                    """
            )
        }
        migrator.registerMigration("v8: break-glass overrides, shadow mapping differences") { db in
            // An override lives on the user's row, so a sign-in reads and keeps it in the one
            // transaction that decides; the partial index finds the next to expire. A shadow
            // difference is one row per identity, the latest evaluation that disagreed.
            try db.execute(
                sql: """
                    ALTER TABLE users ADD COLUMN override_role TEXT CHECK (override_role IN ('super_admin', 'model_admin',
                        'provider_admin', 'mcp_admin', 'user_admin', 'billing_admin', 'user'));
                    ALTER TABLE users ADD COLUMN override_until REAL;
                    ALTER TABLE users ADD COLUMN override_reason TEXT;
                    ALTER TABLE users ADD COLUMN override_by TEXT;
                    ALTER TABLE users ADD COLUMN override_at REAL;
                    ALTER TABLE users ADD COLUMN override_previous_role TEXT;
                    CREATE INDEX users_by_override_end ON users (override_until, id) WHERE override_until IS NOT NULL;
                    CREATE TABLE shadow_differences (
                        issuer TEXT NOT NULL,
                        subject TEXT NOT NULL,
                        user_id INTEGER,
                        user_name TEXT NOT NULL,
                        via TEXT NOT NULL CHECK (via IN ('sign_in', 'reconcile', 'push')),
                        kinds TEXT NOT NULL,
                        live TEXT NOT NULL,
                        candidate TEXT NOT NULL,
                        first_seen REAL NOT NULL,
                        last_seen REAL NOT NULL,
                        occurrences INTEGER NOT NULL,
                        PRIMARY KEY (issuer, subject)
                    );
                    CREATE INDEX shadow_differences_by_last_seen ON shadow_differences (last_seen);
                    """
            )
        }
        migrator.registerMigration("v9: a row the readiness check writes") { db in
            // `GET /readyz` writes this one row: a ledger that can be read but not written (a full
            // disk, a read-only file) is not ready, and is ready again as soon as it can write.
            try db.execute(
                sql: """
                    CREATE TABLE write_probe (id INTEGER PRIMARY KEY CHECK (id = 1), written_at REAL NOT NULL);
                    INSERT INTO write_probe (id, written_at) VALUES (1, 0);
                    """
            )
        }
        migrator.registerMigration("v10: key names in the introspection index") { db in
            // Forward authentication answers with the key's name: the index that introspection's
            // look-up reads alone covers it too.
            try db.execute(
                sql: """
                    DROP INDEX api_keys_by_hash;
                    CREATE INDEX api_keys_by_hash ON api_keys (key_hash, purpose, created_at, expires_at, revoked_at, user_id, name);
                    """
            )
        }
        migrator.registerMigration("v11: key rolls, stale keys revoked by policy") { db in
            // A rolled key names its replacement and the replacement the key it replaced; a key
            // revoked by the stale-key policy has the cause `stale`. SQLite cannot change a CHECK
            // in place, so the table is rebuilt (the twelve steps of "Making Other Kinds Of Table
            // Schema Changes"; GRDB runs a migration with foreign keys off and checks them after).
            // No foreign key between keys: a key is deleted only with its owner, and so is the
            // key it was rolled from or to.
            try db.execute(
                sql: """
                    CREATE TABLE api_keys_v11 (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                        name TEXT NOT NULL,
                        purpose TEXT NOT NULL CHECK (purpose IN ('gateway', 'admin')),
                        prefix TEXT NOT NULL,
                        key_hash TEXT NOT NULL UNIQUE,
                        created_at REAL NOT NULL,
                        expires_at REAL,
                        last_used_at REAL,
                        revoked_at REAL,
                        revoked_by TEXT,
                        revocation_cause TEXT CHECK (revocation_cause IN ('owner', 'admin', 'offboarding', 'deactivation', 'stale')),
                        revocation_reason TEXT,
                        rolled_from INTEGER,
                        rolled_to INTEGER,
                        rolled_at REAL,
                        CHECK ((revoked_at IS NULL) = (revoked_by IS NULL) AND (revoked_at IS NULL) = (revocation_cause IS NULL)),
                        CHECK ((rolled_to IS NULL) = (rolled_at IS NULL))
                    );
                    INSERT INTO api_keys_v11 (id, user_id, name, purpose, prefix, key_hash, created_at, expires_at, last_used_at,
                            revoked_at, revoked_by, revocation_cause, revocation_reason)
                        SELECT id, user_id, name, purpose, prefix, key_hash, created_at, expires_at, last_used_at,
                            revoked_at, revoked_by, revocation_cause, revocation_reason FROM api_keys;
                    DROP TABLE api_keys;
                    ALTER TABLE api_keys_v11 RENAME TO api_keys;
                    CREATE INDEX api_keys_by_user ON api_keys (user_id, id);
                    CREATE INDEX api_keys_by_hash ON api_keys (key_hash, purpose, created_at, expires_at, revoked_at, user_id, name);
                    CREATE INDEX api_keys_by_last_used ON api_keys (coalesce(last_used_at, -1), id);
                    CREATE INDEX api_keys_by_created ON api_keys (created_at, id);
                    CREATE INDEX api_keys_by_name ON api_keys (name COLLATE NOCASE, id);
                    CREATE TRIGGER api_keys_stay_revoked BEFORE UPDATE OF revoked_at, revoked_by, revocation_cause, revocation_reason
                        ON api_keys WHEN old.revoked_at IS NOT NULL
                        BEGIN SELECT RAISE(ABORT, 'a revoked key stays revoked'); END;
                    CREATE TRIGGER api_keys_stay_rolled BEFORE UPDATE OF rolled_to, rolled_at
                        ON api_keys WHEN old.rolled_to IS NOT NULL
                        BEGIN SELECT RAISE(ABORT, 'a rolled key stays rolled'); END;
                    """
            )
        }
        migrator.registerMigration("v12: where each directory's reading stands") { db in
            // One row per IdP: the cursor an incremental listing resumes from and the last run
            // (JSON), written whole after each run that is not a dry run.
            try db.execute(
                sql: """
                    CREATE TABLE directory_sync (
                        issuer TEXT PRIMARY KEY,
                        source TEXT NOT NULL,
                        cursor TEXT,
                        last_full_at REAL,
                        last_success_at REAL,
                        last_run TEXT
                    );
                    """
            )
        }
        migrator.registerMigration("v13: webhook endpoints and their cursors") { db in
            // Issue 26's outbox (decision 136, docs/notes/events-outbox.md): the audit log is the
            // queue; each endpoint keeps its cursor into the stream and the state of the message at
            // its head, so nothing is written when an event is. Failed messages and every try are
            // kept for the Events page.
            try db.execute(
                sql: """
                    CREATE TABLE webhook_endpoints (
                        name TEXT PRIMARY KEY,
                        url TEXT NOT NULL,
                        actions TEXT NOT NULL,
                        state TEXT NOT NULL CHECK (state IN ('healthy', 'retrying', 'disabled', 'removed')),
                        cursor_commit INTEGER NOT NULL,
                        cursor_event INTEGER NOT NULL,
                        head_attempts INTEGER NOT NULL,
                        head_next_attempt_at REAL,
                        head_last_status INTEGER,
                        failing_since REAL,
                        disabled_at REAL,
                        disabled_reason TEXT,
                        last_delivered_at REAL,
                        lease_owner TEXT,
                        lease_until REAL
                    );
                    CREATE TABLE webhook_failures (
                        endpoint TEXT NOT NULL REFERENCES webhook_endpoints (name),
                        event_id INTEGER NOT NULL,
                        failed_at REAL NOT NULL,
                        attempts INTEGER NOT NULL,
                        last_status INTEGER,
                        retry_requested INTEGER NOT NULL,
                        PRIMARY KEY (endpoint, event_id)
                    ) WITHOUT ROWID;
                    CREATE TABLE webhook_attempts (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        endpoint TEXT NOT NULL,
                        event_id INTEGER NOT NULL,
                        time REAL NOT NULL,
                        status INTEGER,
                        duration_ms INTEGER NOT NULL,
                        response_start TEXT NOT NULL,
                        error TEXT
                    );
                    CREATE INDEX webhook_attempts_by_event ON webhook_attempts (endpoint, event_id);
                    CREATE INDEX webhook_attempts_by_time ON webhook_attempts (time);
                    """
            )
        }
        migrator.registerMigration("v14: the audit log searched by actor") { db in
            // Issue 27: the Audit page's search finds what a person did as well as what was done to
            // them; with this index each branch of its OR is an index lookup.
            try db.execute(sql: "CREATE INDEX audit_by_actor ON audit_events (actor, id)")
        }
        migrator.registerMigration("v15: completed access reviews") { db in
            // Issue 27: each completed review with its rows as decided (JSON), kept for auditors;
            // the review.completed event holds the rows' digest.
            try db.execute(
                sql: """
                    CREATE TABLE access_reviews (
                        id INTEGER PRIMARY KEY,
                        completed_at REAL NOT NULL,
                        reviewer TEXT NOT NULL,
                        holders INTEGER NOT NULL,
                        kept INTEGER NOT NULL,
                        revoked INTEGER NOT NULL,
                        digest TEXT NOT NULL,
                        decisions TEXT NOT NULL
                    )
                    """
            )
        }
        return migrator
    }
}
