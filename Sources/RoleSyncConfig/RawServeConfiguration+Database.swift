import Foundation
import RoleSyncYAML

extension RawServeConfiguration {
    /// `database:` as a SQLite path, or as a PostgreSQL URL with its password from
    /// `database_password_env` (required when the URL has none and the command connects).
    /// - Returns: the SQLite path or the URL without its password, and the PostgreSQL settings.
    func validateDatabase(_ validation: inout Validation) -> (database: String, postgres: PostgresSettings?) {
        guard let database, PostgresSettings.isURL(database.value) else {
            if let passwordEnv = databasePasswordEnv {
                validation.error(passwordEnv.location, "database_password_env is used only with a postgres:// database")
            }
            return (database.flatMap { validation.path($0, "database") } ?? "rolesync.sqlite", nil)
        }
        var settings: PostgresSettings
        do {
            settings = try PostgresSettings(url: database.value)
        } catch {
            validation.error(database.location, "database: \(error)")
            return ("rolesync.sqlite", nil)
        }
        if let caFile = settings.caFile, !caFile.hasPrefix("/") {
            settings.caFile = ServeConfiguration.folder(of: validation.file).appendingPathComponent(caFile).path
        }
        if let passwordEnv = databasePasswordEnv {
            if settings.password != nil {
                validation.error(passwordEnv.location, "database_password_env and a password in the URL: give the password once")
            } else if let password = validation.environment[passwordEnv.value], !password.isEmpty {
                settings.password = password
            } else if validation.requiringSecrets {
                validation.error(passwordEnv.location, "database_password_env names \(passwordEnv.value), which is not set")
            }
        }
        return (settings.description, settings)
    }
}
