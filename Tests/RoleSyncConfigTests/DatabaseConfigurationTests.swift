import Foundation
import RoleSyncConfig
import RoleSyncMapping
import Testing

/// `database:` as a SQLite path or a PostgreSQL URL, and `database_password_env`.
@Suite struct DatabaseConfigurationTests {
    static func yaml(_ database: String) -> String {
        """
        listen: 127.0.0.1:8080
        public_url: http://127.0.0.1:8080
        \(database)
        idps:
          - issuer: https://idp.example.com
            client_id: rolesync
            client_secret: s
        """
    }

    func parse(_ database: String, environment: [String: String] = [:]) throws(ConfigError) -> ServeConfiguration {
        try ServeConfiguration.parse(yaml: Self.yaml(database), file: "/etc/rolesync/rolesync.yaml", environment: environment)
    }

    func errors(_ database: String, environment: [String: String] = [:]) -> [String] {
        do {
            _ = try parse(database, environment: environment)
            return []
        } catch {
            return error.lines
        }
    }

    @Test("a postgres URL is not a path; its password comes from database_password_env; ca files resolve against the file")
    func postgres() throws {
        let configuration = try parse(
            """
            database: postgres://rolesync@db.internal/ledger?sslmode=verify-full&sslrootcert=certs/ca.pem
            database_password_env: DB_PW
            """,
            environment: ["DB_PW": "from-env"]
        )
        let postgres = try #require(configuration.postgres)
        #expect(postgres.password == "from-env")
        #expect(postgres.caFile == "/etc/rolesync/certs/ca.pem")
        #expect(configuration.databasePasswordEnv == "DB_PW")
        #expect(configuration.database == "postgres://rolesync@db.internal:5432/ledger?sslmode=verify-full&sslrootcert=/etc/rolesync/certs/ca.pem")
        #expect(try parse("database: data/ledger.sqlite").postgres == nil)
        #expect(try parse("database: data/ledger.sqlite").database == "/etc/rolesync/data/ledger.sqlite")
    }

    @Test(
        "an unusable database setting names its line and column",
        arguments: [
            ("database: postgres://rolesync@db/ledger?sslmode=allow", "rolesync.yaml:3:11: error: database: sslmode 'allow' is not supported"),
            (
                "database: postgres://rolesync@db/ledger\ndatabase_password_env: NOT_SET",
                "rolesync.yaml:4:24: error: database_password_env names NOT_SET, which is not set"
            ),
            (
                "database: postgres://rolesync:pw@db/ledger\ndatabase_password_env: DB_PW",
                "rolesync.yaml:4:24: error: database_password_env and a password in the URL: give the password once"
            ),
            (
                "database: ledger.sqlite\ndatabase_password_env: DB_PW",
                "rolesync.yaml:4:24: error: database_password_env is used only with a postgres:// database"
            ),
        ]
    )
    func refused(_ database: String, _ message: String) {
        let lines = errors(database, environment: ["DB_PW": "x"])
        #expect(lines.contains { $0.hasSuffix(message) || $0.contains(message) }, "\(lines)")
        #expect(!lines.joined().contains(":pw@"), "never the password")
    }
}
