import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncSQLite
import RoleSyncServer
import RoleSyncTestSupport
import Testing

/// A RoleSync server with a ledger of one user per role (each with an API token), for the admin
/// API's tests. No provider: users are signed in through the ledger's own path.
final class AdminHarness: Sendable {
    static let issuer = "https://idp.example.com"
    static let mapping = """
        version: 1
        issuer: "\(issuer)"
        profile: { email: email, name: name }
        roles:
          - id: platform-admins
            role: super_admin
            when: { claim: groups, contains: admins }
          - id: ml
            role: model_admin
            when: { claim: groups, contains: ml }
        unmatched: manual
        """

    let store: SQLiteLedgerStore
    let context: ServerContext
    let folder: URL
    /// An API token per role; `super_admin` is IdP-covered (rule platform-admins), the others are
    /// uncovered users whose role the CLI set by hand, except `model_admin` (covered, rule ml).
    let tokens: [Role: String]
    let users: [Role: UserID]

    init() async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rolesync-admin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        store = try SQLiteLedgerStore(path: folder.appendingPathComponent("ledger.sqlite").path)
        let mapping = try #require(MappingParser.parse(yaml: Self.mapping, file: "idp.yaml").mapping)
        let sync = SyncService(store: store, mappings: MappingRegistry(MappingSet.build([mapping]).set), logger: Logger(label: "test"))
        context = ServerContext(
            sync: sync,
            sessions: SessionService(store: store),
            providers: ProviderDirectory([]),
            publicURL: URL(string: "https://rolesync.example.com")!
        )
        var tokens: [Role: String] = [:]
        var users: [Role: UserID] = [:]
        for role in Role.allCases {
            let groups = role == .superAdmin ? "admins" : role == .modelAdmin ? "ml" : "staff"
            let claims = Claims([
                "sub": .string("sub-\(role.rawValue)"), "email": .string("\(role.rawValue)@example.com"),
                "name": .string("The \(role.rawValue)"), "groups": .array([.string(groups)]),
            ])
            let result = try await sync.signIn(issuer: Self.issuer, claims: claims)
            let user = try #require(result.user)
            if user.role != role { try await sync.setRole(role, of: user.id, by: .cli) }
            users[role] = user.id
            tokens[role] = try await context.tokens.create(for: user.id, name: "test", lifetime: nil, by: .cli).token
        }
        self.tokens = tokens
        self.users = users
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    func test(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await Application(router: context.makeRouter()).test(.router, body)
    }

    /// Headers authenticating as `role` with its token (or nobody).
    func auth(_ role: Role?) -> HTTPFields {
        guard let role, let token = tokens[role] else { return [:] }
        return [.authorization: "Bearer \(token)"]
    }

    /// The JSON body's members; throws when the body is not a JSON object.
    static func json(_ response: TestResponse) throws -> [String: ClaimValue] {
        let body = try ClaimValue(json: Data(buffer: response.body))
        guard case .object(let members) = body else { throw HarnessError.notAnObject(body.abbreviated()) }
        return members
    }

    enum HarnessError: Error { case notAnObject(String) }
}
