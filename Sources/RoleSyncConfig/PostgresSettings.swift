import Foundation

/// Where and how to reach a PostgreSQL ledger: a `postgres://` or `postgresql://` URL in libpq's
/// form, `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE?sslmode=MODE&sslrootcert=CA`.
///
/// The password may also come from the environment (`database_password_env`), which is where it
/// belongs outside a laptop: a URL ends up in shell history and process lists.
package struct PostgresSettings: Sendable, Hashable, CustomStringConvertible {
    /// How the connection is protected (libpq's `sslmode`, the three that make sense here).
    package enum TLSMode: String, Sendable, Hashable, CaseIterable {
        /// Plain TCP: only for a database on the same host or a private network.
        case disable
        /// Encrypted, the server's certificate not checked (protects from eavesdroppers only).
        case require
        /// Encrypted, the certificate checked against `ca_file` (or the system's roots) and the
        /// host name: the only mode that stops an impostor.
        case verifyFull = "verify-full"
    }

    package var host: String
    package var port: Int
    package var username: String
    package var password: String?
    package var database: String
    package var tls: TLSMode
    /// The CA certificate (PEM) to verify the server with in `verify-full`; `nil` uses the system's.
    package var caFile: String?
    /// The most connections one process opens.
    package var poolSize: Int

    package static let defaultPoolSize = 10
    package static let maximumPoolSize = 200

    package init(
        host: String,
        port: Int = 5432,
        username: String,
        password: String? = nil,
        database: String,
        tls: TLSMode = .disable,
        caFile: String? = nil,
        poolSize: Int = defaultPoolSize
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
        self.caFile = caFile
        self.poolSize = poolSize
    }

    /// Whether `text` names a PostgreSQL database rather than a SQLite file.
    package static func isURL(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
    }

    /// Parses a `postgres://` URL.
    /// - Throws: ``PostgresSettingsError`` naming what is wrong; the message never repeats the
    ///   password.
    package init(url text: String) throws {
        guard Self.isURL(text) else { throw PostgresSettingsError("the URL must start with postgres:// or postgresql://") }
        guard let components = URLComponents(string: text) else {
            throw PostgresSettingsError("not a valid URL (percent-encode special characters of the user and password)")
        }
        guard let host = components.host, !host.isEmpty else { throw PostgresSettingsError("the URL has no host") }
        guard let user = components.user, !user.isEmpty else {
            throw PostgresSettingsError("the URL has no user name (postgres://USER@HOST/DATABASE)")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw PostgresSettingsError("the URL names no database (postgres://USER@HOST/DATABASE)")
        }
        var tls = TLSMode.disable
        var caFile: String?
        var poolSize = Self.defaultPoolSize
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                guard let mode = TLSMode(rawValue: value) else {
                    throw PostgresSettingsError(
                        "sslmode '\(value)' is not supported; use one of " + TLSMode.allCases.map(\.rawValue).joined(separator: ", ")
                    )
                }
                tls = mode
            // libpq's name, and the one RoleSync's other TLS settings use.
            case "sslrootcert", "ca_file": caFile = value.isEmpty ? nil : value
            case "pool_size":
                guard let size = Int(value), (1...Self.maximumPoolSize).contains(size) else {
                    throw PostgresSettingsError("pool_size is a whole number from 1 to \(Self.maximumPoolSize)")
                }
                poolSize = size
            default:
                throw PostgresSettingsError("unknown URL parameter '\(item.name)'; known: sslmode, sslrootcert (or ca_file), pool_size")
            }
        }
        if caFile != nil, tls != .verifyFull {
            throw PostgresSettingsError("sslrootcert is used only with sslmode=verify-full")
        }
        self.init(
            host: host,
            port: components.port ?? 5432,
            username: user.removingPercentEncoding ?? user,
            password: components.password.map { $0.removingPercentEncoding ?? $0 },
            database: database.removingPercentEncoding ?? database,
            tls: tls,
            caFile: caFile,
            poolSize: poolSize
        )
    }

    /// The URL without its password, for logs and messages.
    package var description: String {
        var text = "postgres://\(username)@\(host):\(port)/\(database)?sslmode=\(tls.rawValue)"
        if let caFile { text += "&sslrootcert=\(caFile)" }
        return text
    }
}

/// A PostgreSQL URL or setting that cannot be used.
package struct PostgresSettingsError: Error, Sendable, Hashable, CustomStringConvertible {
    package var description: String

    package init(_ description: String) { self.description = description }
}
