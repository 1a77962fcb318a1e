/// The PostgreSQL ledger's schema, as numbered migrations. A migration is never edited once
/// shipped; a change is a new one. Each statement runs on its own (the extended protocol takes one
/// statement at a time), all of a migration's in one transaction with its version row.
///
/// Version 1 is the SQLite ledger's schema at its v7 in one step, with PostgreSQL's types: times
/// are `timestamptz`, claims and audit details `jsonb`, and names and emails are searched through
/// `pg_trgm` (a trusted extension: the database's owner may create it). Every rule the SQLite
/// schema holds in SQL holds here too: `(issuer, subject)` unique, the status/reason check, the
/// append-only audit log, keys that stay revoked.
enum PostgresSchema {
    struct Migration: Sendable {
        var version: Int
        var name: String
        var statements: [String]
    }

    static let migrations: [Migration] = [
        Migration(
            version: 1,
            name: "users, sessions, audit log, API keys, directory",
            statements: [
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                """
                CREATE TABLE users (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    issuer text NOT NULL,
                    subject text NOT NULL,
                    email text,
                    name text,
                    organization_unit text,
                    role text NOT NULL CHECK (role IN ('super_admin', 'model_admin', 'provider_admin', 'mcp_admin',
                                                       'user_admin', 'billing_admin', 'user')),
                    role_source text NOT NULL CHECK (role_source IN ('idp', 'manual', 'default')),
                    status text NOT NULL CHECK (status IN ('active', 'inactive')),
                    deactivation_reason text CHECK (deactivation_reason IN ('idp', 'manual')),
                    deactivation_source text,
                    registered_at timestamptz NOT NULL,
                    last_sign_in_at timestamptz,
                    sign_in_count bigint NOT NULL DEFAULT 0,
                    last_claims jsonb NOT NULL,
                    version bigint NOT NULL,
                    CONSTRAINT users_identity UNIQUE (issuer, subject),
                    CONSTRAINT users_deactivation CHECK ((status = 'active') = (deactivation_reason IS NULL))
                )
                """,
                "CREATE INDEX users_by_name ON users (lower(coalesce(name, '')), id)",
                "CREATE INDEX users_by_email ON users (lower(coalesce(email, '')), id)",
                "CREATE INDEX users_by_last_sign_in ON users (coalesce(last_sign_in_at, 'epoch'::timestamptz), id)",
                "CREATE INDEX users_by_registration ON users (registered_at, id)",
                "CREATE INDEX users_by_role_status ON users (role, status)",
                """
                CREATE INDEX users_search ON users
                    USING gin ((lower(coalesce(name, '') || chr(31) || coalesce(email, ''))) gin_trgm_ops)
                """,
                """
                CREATE TABLE sessions (
                    token_hash text PRIMARY KEY,
                    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                    created_at timestamptz NOT NULL,
                    expires_at timestamptz NOT NULL,
                    last_seen_at timestamptz NOT NULL
                )
                """,
                "CREATE INDEX sessions_by_user ON sessions (user_id)",
                """
                CREATE TABLE audit_events (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    time timestamptz NOT NULL,
                    actor text NOT NULL,
                    action text NOT NULL,
                    user_id bigint REFERENCES users (id),
                    issuer text,
                    subject text,
                    details jsonb NOT NULL
                )
                """,
                "CREATE INDEX audit_by_user ON audit_events (user_id, id)",
                "CREATE INDEX audit_by_action ON audit_events (action, id)",
                "CREATE INDEX audit_by_time ON audit_events (time)",
                """
                CREATE FUNCTION rolesync_audit_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'restrict_violation';
                END
                $$
                """,
                """
                CREATE TRIGGER audit_events_are_never_changed BEFORE UPDATE OR DELETE ON audit_events
                    FOR EACH ROW EXECUTE FUNCTION rolesync_audit_is_append_only()
                """,
                """
                CREATE TRIGGER audit_events_are_never_truncated BEFORE TRUNCATE ON audit_events
                    FOR EACH STATEMENT EXECUTE FUNCTION rolesync_audit_is_append_only()
                """,
                """
                CREATE TABLE api_keys (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                    name text NOT NULL,
                    purpose text NOT NULL CHECK (purpose IN ('gateway', 'admin')),
                    prefix text NOT NULL,
                    key_hash text NOT NULL UNIQUE,
                    created_at timestamptz NOT NULL,
                    expires_at timestamptz,
                    last_used_at timestamptz,
                    revoked_at timestamptz,
                    revoked_by text,
                    revocation_cause text CHECK (revocation_cause IN ('owner', 'admin', 'offboarding', 'deactivation')),
                    revocation_reason text,
                    CONSTRAINT api_keys_revocation CHECK ((revoked_at IS NULL) = (revoked_by IS NULL)
                        AND (revoked_at IS NULL) = (revocation_cause IS NULL))
                )
                """,
                "CREATE INDEX api_keys_by_user ON api_keys (user_id, id)",
                "CREATE INDEX api_keys_by_hash ON api_keys (key_hash) INCLUDE (purpose, created_at, expires_at, revoked_at, user_id)",
                "CREATE INDEX api_keys_by_last_used ON api_keys (coalesce(last_used_at, '-infinity'::timestamptz), id)",
                "CREATE INDEX api_keys_by_created ON api_keys (created_at, id)",
                "CREATE INDEX api_keys_by_name ON api_keys (lower(name), id)",
                """
                CREATE FUNCTION rolesync_keys_stay_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF OLD.revoked_at IS NOT NULL AND (NEW.revoked_at, NEW.revoked_by, NEW.revocation_cause, NEW.revocation_reason)
                        IS DISTINCT FROM (OLD.revoked_at, OLD.revoked_by, OLD.revocation_cause, OLD.revocation_reason) THEN
                        RAISE EXCEPTION 'a revoked key stays revoked' USING ERRCODE = 'restrict_violation';
                    END IF;
                    RETURN NEW;
                END
                $$
                """,
                """
                CREATE TRIGGER api_keys_stay_revoked BEFORE UPDATE ON api_keys
                    FOR EACH ROW EXECUTE FUNCTION rolesync_keys_stay_revoked()
                """,
                """
                CREATE TABLE api_key_usage (
                    key_id bigint NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
                    day integer NOT NULL,
                    requests bigint NOT NULL,
                    PRIMARY KEY (key_id, day)
                )
                """,
                """
                CREATE TABLE directory_resources (
                    seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
                    issuer text NOT NULL,
                    kind text NOT NULL CHECK (kind IN ('User', 'Group')),
                    id text NOT NULL,
                    external_id text,
                    name text NOT NULL,
                    attributes jsonb NOT NULL,
                    version bigint NOT NULL,
                    created timestamptz NOT NULL,
                    modified timestamptz NOT NULL,
                    PRIMARY KEY (issuer, kind, id)
                )
                """,
                "CREATE UNIQUE INDEX directory_user_names ON directory_resources (issuer, lower(name)) WHERE kind = 'User'",
                "CREATE INDEX directory_by_name ON directory_resources (issuer, kind, lower(name))",
                "CREATE INDEX directory_by_external_id ON directory_resources (issuer, kind, external_id)",
                """
                CREATE TABLE directory_members (
                    issuer text NOT NULL,
                    group_id text NOT NULL,
                    member_id text NOT NULL,
                    PRIMARY KEY (issuer, group_id, member_id)
                )
                """,
                "CREATE INDEX directory_members_by_member ON directory_members (issuer, member_id)",
            ]
        ),
        // Replicas behind a load balancer: a sign-in started on one replica may come back to
        // another. Unlogged: a few minutes' state, not worth the WAL (a crash empties it, and
        // whoever was signing in starts again).
        Migration(
            version: 2,
            name: "pending sign-ins shared by replicas",
            statements: [
                """
                CREATE UNLOGGED TABLE pending_logins (
                    state_hash bytea PRIMARY KEY,
                    payload bytea,
                    created_at timestamptz NOT NULL,
                    expires_at timestamptz NOT NULL
                )
                """,
                "CREATE INDEX pending_logins_by_expiry ON pending_logins (expires_at)",
                "CREATE INDEX pending_logins_waiting ON pending_logins (created_at) WHERE payload IS NOT NULL",
            ]
        ),
        // Break-glass overrides on the user's row (read and kept by the transaction that decides a
        // sign-in), and the shadow mapping's latest disagreement per identity.
        Migration(
            version: 3,
            name: "break-glass overrides, shadow mapping differences",
            statements: [
                """
                ALTER TABLE users
                    ADD COLUMN override_role text CHECK (override_role IN ('super_admin', 'model_admin', 'provider_admin',
                        'mcp_admin', 'user_admin', 'billing_admin', 'user')),
                    ADD COLUMN override_until timestamptz,
                    ADD COLUMN override_reason text,
                    ADD COLUMN override_by text,
                    ADD COLUMN override_at timestamptz,
                    ADD COLUMN override_previous_role text
                """,
                "CREATE INDEX users_by_override_end ON users (override_until, id) WHERE override_until IS NOT NULL",
                """
                CREATE TABLE shadow_differences (
                    issuer text NOT NULL,
                    subject text NOT NULL,
                    user_id bigint,
                    user_name text NOT NULL,
                    via text NOT NULL CHECK (via IN ('sign_in', 'reconcile', 'push')),
                    kinds text NOT NULL,
                    live jsonb NOT NULL,
                    candidate jsonb NOT NULL,
                    first_seen timestamptz NOT NULL,
                    last_seen timestamptz NOT NULL,
                    occurrences bigint NOT NULL,
                    PRIMARY KEY (issuer, subject)
                )
                """,
                "CREATE INDEX shadow_differences_by_last_seen ON shadow_differences (last_seen)",
            ]
        ),
        // The one row `GET /readyz` writes: a replica whose database answers but cannot write (a
        // full disk, a standby after a fail-over) is not ready.
        Migration(
            version: 4,
            name: "a row the readiness check writes",
            statements: [
                "CREATE TABLE write_probe (id smallint PRIMARY KEY CHECK (id = 1), written_at timestamptz NOT NULL)",
                "INSERT INTO write_probe (id, written_at) VALUES (1, 'epoch')",
            ]
        ),
        // Forward authentication answers with the key's name: the index introspection's look-up
        // reads alone covers it too.
        Migration(
            version: 5,
            name: "key names in the introspection index",
            statements: [
                "DROP INDEX api_keys_by_hash",
                "CREATE INDEX api_keys_by_hash ON api_keys (key_hash) INCLUDE (purpose, created_at, expires_at, revoked_at, user_id, name)",
            ]
        ),
        // A rolled key names its replacement and the replacement the key it replaced; a key revoked
        // by the stale-key policy has the cause `stale`. No foreign key between keys: a key is
        // deleted only with its owner, and so is the key it was rolled from or to (and a copy from
        // SQLite may insert a key before the one it names).
        Migration(
            version: 6,
            name: "key rolls, stale keys revoked by policy",
            statements: [
                "ALTER TABLE api_keys ADD COLUMN rolled_from bigint, ADD COLUMN rolled_to bigint, ADD COLUMN rolled_at timestamptz",
                "ALTER TABLE api_keys ADD CONSTRAINT api_keys_roll CHECK ((rolled_to IS NULL) = (rolled_at IS NULL))",
                "ALTER TABLE api_keys DROP CONSTRAINT api_keys_revocation_cause_check",
                """
                ALTER TABLE api_keys ADD CONSTRAINT api_keys_revocation_cause_check
                    CHECK (revocation_cause IN ('owner', 'admin', 'offboarding', 'deactivation', 'stale'))
                """,
                """
                CREATE FUNCTION rolesync_keys_stay_rolled() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF OLD.rolled_to IS NOT NULL AND (NEW.rolled_to, NEW.rolled_at) IS DISTINCT FROM (OLD.rolled_to, OLD.rolled_at) THEN
                        RAISE EXCEPTION 'a rolled key stays rolled' USING ERRCODE = 'restrict_violation';
                    END IF;
                    RETURN NEW;
                END
                $$
                """,
                """
                CREATE TRIGGER api_keys_stay_rolled BEFORE UPDATE ON api_keys
                    FOR EACH ROW EXECUTE FUNCTION rolesync_keys_stay_rolled()
                """,
            ]
        ),
        // One row per IdP: the cursor an incremental listing resumes from and the last run (JSON),
        // written whole after each run that is not a dry run.
        Migration(
            version: 7,
            name: "where each directory's reading stands",
            statements: [
                """
                CREATE TABLE directory_sync (
                    issuer text PRIMARY KEY,
                    source text NOT NULL,
                    cursor text,
                    last_full_at timestamptz,
                    last_success_at timestamptz,
                    last_run jsonb
                )
                """
            ]
        ),
        // The audit log as a stream (decision 135): each event keeps the id of the transaction
        // that wrote it, so a reader can hand out events in commit order and never skip one whose
        // transaction commits after a newer id is visible. Rows written before keep 0 (a constant
        // default: no rewrite, and no UPDATE, which the log's trigger forbids).
        Migration(
            version: 8,
            name: "the audit log in commit order",
            statements: [
                "ALTER TABLE audit_events ADD COLUMN xid xid8 NOT NULL DEFAULT '0'",
                "ALTER TABLE audit_events ALTER COLUMN xid SET DEFAULT pg_current_xact_id()",
                "CREATE INDEX audit_by_commit ON audit_events (xid, id)",
            ]
        ),
        // Issue 26's outbox (decision 136), as the SQLite ledger's v13: each endpoint keeps its
        // cursor into the audit stream (the writing transaction's xid8 as a bigint, and the event's
        // id) and the state of the message at its head; failed messages and every try are kept.
        Migration(
            version: 9,
            name: "webhook endpoints and their cursors",
            statements: [
                """
                CREATE TABLE webhook_endpoints (
                    name text PRIMARY KEY,
                    url text NOT NULL,
                    actions text NOT NULL,
                    state text NOT NULL CHECK (state IN ('healthy', 'retrying', 'disabled', 'removed')),
                    cursor_commit bigint NOT NULL,
                    cursor_event bigint NOT NULL,
                    head_attempts integer NOT NULL,
                    head_next_attempt_at timestamptz,
                    head_last_status integer,
                    failing_since timestamptz,
                    disabled_at timestamptz,
                    disabled_reason text,
                    last_delivered_at timestamptz,
                    lease_owner text,
                    lease_until timestamptz
                )
                """,
                """
                CREATE TABLE webhook_failures (
                    endpoint text NOT NULL REFERENCES webhook_endpoints (name),
                    event_id bigint NOT NULL,
                    failed_at timestamptz NOT NULL,
                    attempts integer NOT NULL,
                    last_status integer,
                    retry_requested boolean NOT NULL,
                    PRIMARY KEY (endpoint, event_id)
                )
                """,
                """
                CREATE TABLE webhook_attempts (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    endpoint text NOT NULL,
                    event_id bigint NOT NULL,
                    time timestamptz NOT NULL,
                    status integer,
                    duration_ms bigint NOT NULL,
                    response_start text NOT NULL,
                    error text
                )
                """,
                "CREATE INDEX webhook_attempts_by_event ON webhook_attempts (endpoint, event_id)",
                "CREATE INDEX webhook_attempts_by_time ON webhook_attempts (time)",
            ]
        ),
        // Issue 27, as the SQLite ledger's v14: the Audit page's search reads what a person did.
        Migration(
            version: 10,
            name: "the audit log searched by actor",
            statements: ["CREATE INDEX audit_by_actor ON audit_events (actor, id)"]
        ),
        // Issue 27, as the SQLite ledger's v15: completed access reviews with their rows.
        Migration(
            version: 11,
            name: "completed access reviews",
            statements: [
                """
                CREATE TABLE access_reviews (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    completed_at timestamptz NOT NULL,
                    reviewer text NOT NULL,
                    holders bigint NOT NULL,
                    kept bigint NOT NULL,
                    revoked bigint NOT NULL,
                    digest text NOT NULL,
                    decisions jsonb NOT NULL
                )
                """
            ]
        ),
    ]

    /// The newest version this build knows.
    static var latestVersion: Int { migrations.last?.version ?? 0 }
}
