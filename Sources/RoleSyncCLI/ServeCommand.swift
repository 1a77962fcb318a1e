import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import RoleSyncApp
import RoleSyncBuildInfo
import RoleSyncConfig

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract:
            "Run the server: OpenID Connect login, the Admin Dashboard and Console, the admin API, /scim/v2, scheduled reconciliation, /metrics.",
        discussion: """
            Reads a YAML configuration (listen, public_url, database: a SQLite file or a postgres:// URL with \
            database_password_env, mappings, session, idps, gateways); every \
            error names its file, line, column and key. Open public_url in a browser: admins land on the Admin \
            Dashboard (/admin/users), everyone on the Console (/console/keys) (docs/dashboard.md). An idp with `directory: {scim_url, token_env, interval}` is reconciled \
            on that interval (docs/reconciliation.md); one with `scim_token_env` may push to /scim/v2. Mappings \
            reload on SIGHUP (a reload with errors keeps the running ones); SIGTERM or SIGINT shut down \
            gracefully. Logs go to stderr at ROLESYNC_LOG_LEVEL (default info).
            """
    )

    @Option(
        name: .customLong("config"),
        help: ArgumentHelp("The configuration file (env ROLESYNC_CONFIG; default rolesync.yaml).", valueName: "file")
    )
    var config: String?

    @Flag(name: .customLong("check"), help: "Validate the configuration and its mappings, then exit.")
    var check = false

    func run() async throws {
        let path = config ?? ProcessInfo.processInfo.environment["ROLESYNC_CONFIG"] ?? "rolesync.yaml"
        let configuration = try ServeConfiguration.load(path: path)
        let registry = PrometheusCollectorRegistry()
        if !check {
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            // Prometheus's build-information idiom: one series, always 1, labelled with what runs.
            Gauge(label: "rolesync_build_info", dimensions: [("version", BuildInfo.version), ("commit", BuildInfo.commit)]).record(1)
        }
        let server = try await ServeApplication(
            configuration: configuration,
            metricsExposition: {
                var buffer: [UInt8] = []
                registry.emit(into: &buffer)
                return String(decoding: buffer, as: UTF8.self)
            },
            logger: Logger(label: "rolesync.server"),
            checkOnly: check
        )
        if check {
            await server.shutdown()
            let gateways = configuration.gateways.isEmpty ? "" : ", \(plural(configuration.gateways.count, "gateway"))"
            Output.line(
                "\(path): valid (\(plural(configuration.idps.count, "identity provider"))\(gateways), mappings in \(configuration.mappings)\(configuration.shadow.map { ", candidates in \($0)" } ?? ""))"
            )
            if let report = server.postgres?.migration {
                Output.line(
                    "\(configuration.database): reachable, schema version \(report.found) of \(report.latest)"
                        + (report.migrations.isEmpty ? "" : "; serve applies \(plural(report.migrations.count, "migration")) at start")
                )
            }
            if let sqlite = server.sqliteCheck {
                Output.line(
                    sqlite.exists
                        ? "\(configuration.database): \(sqlite.applied) of \(sqlite.applied + sqlite.pending) migrations"
                            + (sqlite.pending == 0 ? "" : "; serve applies \(plural(sqlite.pending, "migration")) at start")
                        : "\(configuration.database): does not exist yet; serve creates it"
                )
            }
            return
        }
        try await server.run()
    }
}
