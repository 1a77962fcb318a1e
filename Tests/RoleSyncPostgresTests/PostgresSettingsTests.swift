import RoleSyncConfig
import RoleSyncPostgres
import Testing

@Suite struct PostgresSettingsTests {
    @Test("a full URL: user, percent-encoded password, host, port, database, sslmode, CA, pool size")
    func fullURL() throws {
        let settings = try PostgresSettings(
            url: "postgresql://role%40x:p%3Ass%2Fw@db.internal:6432/ledger?sslmode=verify-full&sslrootcert=/etc/ca.pem&pool_size=25"
        )
        #expect(settings.username == "role@x")
        #expect(settings.password == "p:ss/w")
        #expect(settings.host == "db.internal")
        #expect(settings.port == 6432)
        #expect(settings.database == "ledger")
        #expect(settings.tls == .verifyFull)
        #expect(settings.caFile == "/etc/ca.pem")
        #expect(settings.poolSize == 25)
        #expect(!settings.description.contains("p:ss"), "the password never shows")
        #expect(settings.description == "postgres://role@x@db.internal:6432/ledger?sslmode=verify-full&sslrootcert=/etc/ca.pem")
    }

    @Test("ca_file is sslrootcert by RoleSync's own name")
    func caFileAlias() throws {
        let settings = try PostgresSettings(url: "postgres://u@h/db?sslmode=verify-full&ca_file=/etc/rolesync/db-ca.pem")
        #expect(settings.caFile == "/etc/rolesync/db-ca.pem")
        #expect(throws: PostgresSettingsError.self) { try PostgresSettings(url: "postgres://u@h/db?ca_file=/ca.pem") }
    }

    @Test("defaults: port 5432, no TLS, pool of 10, no password")
    func defaults() throws {
        let settings = try PostgresSettings(url: "postgres://rolesync@localhost/rolesync")
        #expect(settings.port == 5432)
        #expect(settings.tls == .disable)
        #expect(settings.password == nil)
        #expect(settings.poolSize == PostgresSettings.defaultPoolSize)
        #expect(PostgresSettings.isURL("POSTGRES://x@y/z"))
        #expect(!PostgresSettings.isURL("rolesync.sqlite"))
    }

    @Test(
        "an unusable URL says what is wrong and never repeats the password",
        arguments: [
            ("postgres://secret-pw@/db", "no host"),
            ("postgres://db.internal/ledger", "no user name"),
            ("postgres://u:secret-pw@db.internal", "names no database"),
            ("postgres://u:secret-pw@db.internal/a/b", "names no database"),
            ("postgres://u:secret-pw@h/db?sslmode=prefer", "sslmode 'prefer' is not supported; use one of disable, require, verify-full"),
            ("postgres://u:secret-pw@h/db?pool_size=0", "pool_size is a whole number from 1 to 200"),
            ("postgres://u:secret-pw@h/db?sslrootcert=/ca.pem", "sslrootcert is used only with sslmode=verify-full"),
            ("postgres://u:secret-pw@h/db?sslcert=x", "unknown URL parameter 'sslcert'"),
            (
                "postgres://u:secret-pw@h/db?connect_timeout=5",
                "unknown URL parameter 'connect_timeout'; known: sslmode, sslrootcert (or ca_file), pool_size"
            ),
            ("mysql://u@h/db", "must start with postgres://"),
        ]
    )
    func refused(_ url: String, _ message: String) {
        #expect {
            try PostgresSettings(url: url)
        } throws: { error in
            let text = "\(error)"
            return text.contains(message) && !text.contains("secret-pw")
        }
    }
}
