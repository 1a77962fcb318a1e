import Foundation
import Logging
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncSQLite
import RoleSyncTestSupport
import Synchronization
import Testing

/// Where a test's ledger lives: the same tests run against both.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory
    case disk
    var testDescription: String { rawValue }
}

/// A clock tests move by hand.
final class TestClock: Sendable {
    private let time = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    var now: Date { time.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { time.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// A ledger over a fresh store, with the test mapping and a controllable clock.
struct Harness {
    static let issuer = "https://idp.example.com"
    static let mappingYAML = """
        version: 1
        issuer: https://idp.example.com
        profile:
          email: email
          name: name
          organization_unit: department
        require:
          - { claim: email_verified, equals: true }
        deactivate:
          - { claim: groups, contains: offboarded }
        roles:
          - id: admins
            role: super_admin
            when: { claim: groups, contains: platform-admins }
          - id: finance
            role: billing_admin
            when: { claim: groups, contains: finance }
          - id: engineers
            role: user
            when: { claim: groups, glob: "eng-*" }
        unmatched: manual
        """

    let store: any LedgerStore & DirectoryStore
    let service: SyncService
    let sessions: SessionService
    let clock: TestClock
    let path: String?
    /// Holds the on-disk store's folder until the harness goes.
    let scratch: ScratchFolder?
    /// Holds a PostgreSQL store's database and client until the harness goes.
    let postgres: ScratchPostgresStore?

    /// The SQLite store of a harness made with a ``StoreKind``.
    var sqlite: SQLiteLedgerStore {
        get throws { try #require(store as? SQLiteLedgerStore, "a SQLite harness") }
    }

    /// A harness over one of the conformance suite's stores.
    init(conformance kind: ConformanceKind, mapping: String = Harness.mappingYAML, shadow: String? = nil) async throws {
        switch kind {
        case .memory: try self.init(StoreKind.memory, mapping: mapping, shadow: shadow)
        case .disk: try self.init(StoreKind.disk, mapping: mapping, shadow: shadow)
        case .postgres:
            let postgres = try await ScratchPostgresStore()
            try self.init(store: postgres.store, path: nil, scratch: nil, postgres: postgres, mapping: mapping, shadow: shadow)
        }
    }

    /// - Parameter shadow: a candidate mapping to evaluate beside `mapping`, its differences recorded.
    init(
        _ kind: StoreKind,
        mapping: String = Harness.mappingYAML,
        shadow: String? = nil,
        fault: (@Sendable (SQLiteLedgerStore.FaultPoint) throws -> Void)? = nil
    ) throws {
        switch kind {
        case .memory:
            try self.init(
                store: try SQLiteLedgerStore.inMemory(fault: fault),
                path: nil,
                scratch: nil,
                postgres: nil,
                mapping: mapping,
                shadow: shadow
            )
        case .disk:
            let scratch = try ScratchFolder("ledger")
            let file = scratch.path("ledger.sqlite")
            try self.init(
                store: try SQLiteLedgerStore(path: file, fault: fault),
                path: file,
                scratch: scratch,
                postgres: nil,
                mapping: mapping,
                shadow: shadow
            )
        }
    }

    private init(
        store: any LedgerStore & DirectoryStore,
        path: String?,
        scratch: ScratchFolder?,
        postgres: ScratchPostgresStore?,
        mapping: String,
        shadow: String? = nil
    ) throws {
        self.store = store
        self.path = path
        self.scratch = scratch
        self.postgres = postgres
        let clock = TestClock()
        self.clock = clock
        let parsed = try #require(MappingParser.parse(yaml: mapping, file: "test.yaml").mapping)
        var candidates: MappingSet?
        var recorder: ShadowRecorder?
        if let shadow {
            let candidate = try #require(MappingParser.parse(yaml: shadow, file: "candidate.yaml").mapping)
            candidates = MappingSet.build([candidate]).set
            recorder = ShadowRecorder(store: try #require(store as? any ShadowStore), logger: Logger(label: "test"))
        }
        service = SyncService(
            store: store,
            mappings: MappingRegistry(MappingSet.build([parsed]).set, shadow: candidates),
            logger: Logger(label: "test"),
            shadow: recorder,
            now: { clock.now }
        )
        sessions = SessionService(store: store, idleTimeout: 3_600, absoluteLifetime: 86_400, now: { clock.now })
    }

    /// Claims for a test user.
    static func claims(_ sub: String, groups: [String] = [], email: String? = nil, extra: [String: ClaimValue] = [:]) -> Claims {
        var values: [String: ClaimValue] = [
            "iss": .string(issuer), "sub": .string(sub), "email": .string(email ?? "\(sub)@example.com"),
            "email_verified": .bool(true), "name": .string("User \(sub)"), "groups": .array(groups.map(ClaimValue.string)),
        ]
        values.merge(extra) { $1 }
        return Claims(values)
    }

    @discardableResult
    func signIn(_ sub: String, groups: [String] = [], extra: [String: ClaimValue] = [:]) async throws -> SignInResult {
        try await service.signIn(issuer: Self.issuer, claims: Self.claims(sub, groups: groups, extra: extra))
    }

    func user(_ sub: String) async throws -> User {
        try #require(try await store.user(issuer: Self.issuer, subject: sub))
    }

    func events(_ sub: String? = nil, action: AuditAction? = nil) async throws -> [AuditEvent] {
        var userID: UserID?
        if let sub { userID = try await user(sub).id }
        return try await store.auditEvents(matching: AuditQuery(userID: userID, action: action, limit: 1_000)).events
    }

    func allEvents() async throws -> [AuditEvent] {
        try await store.auditEvents(matching: AuditQuery(limit: 1_000)).events
    }

    /// The ledger's super_admin: signs in `root` through the admins rule.
    @discardableResult
    func makeSuperAdmin(_ sub: String = "root") async throws -> User {
        try #require(try await signIn(sub, groups: ["platform-admins"]).user)
    }
}

let userAdmin = Principal(actor: .user(UserID(999)), role: .userAdmin)
