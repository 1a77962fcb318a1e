import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix
import RoleSyncConfig
import RoleSyncLedger
import RoleSyncSQLite

/// Entry point: runs the command and turns errors into the documented exit codes
/// (0 done, 1 invalid mapping or input or a refusal, 2 usage error).
@main
enum RoleSyncMain {
    static func main() async {
        // Logs go to stderr, quiet by default so command output stays clean; ROLESYNC_LOG_LEVEL=info shows decisions.
        // `serve` logs at info by default; every other command is quiet.
        let serving = CommandLine.arguments.dropFirst().first == "serve"
        let checking = CommandLine.arguments.contains("--check")
        let fallback: Logger.Level = serving ? .info : .warning
        let level = ProcessInfo.processInfo.environment["ROLESYNC_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? fallback
        LoggingSystem.bootstrap { label in StandardErrorLogHandler(label: label, logLevel: level) }
        // Swift concurrency's jobs run on NIO's event loops, the threads that already read and write
        // the sockets: a request no longer hops to the global pool and back for each await
        // (decision 125; the forward-authentication figures in docs/performance.md).
        // NIO finds the runtime's hook with dlsym, which a runtime linked in with
        // --static-swift-stdlib (the Debian package's binary) keeps hidden: there the jobs run on
        // Swift's own pool, as in any Swift program (decision 145). Only `serve` says so.
        if !NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor() {
            Logger(label: "rolesync").log(
                level: serving && !checking ? .notice : .debug,
                "Swift concurrency runs on its default pool, not on NIO's event loops (the runtime's hook is not exported: a statically linked runtime)"
            )
        }
        let code = await run(Array(CommandLine.arguments.dropFirst()))
        exit(code)
    }

    static func run(_ arguments: [String]) async -> Int32 {
        do {
            var command = try RoleSyncCommand.parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return 0
        } catch let error as CLIError {
            Output.error("rolesync: error: \(error)")
            return 1
        } catch let error as ConfigError {
            for line in error.lines { Output.error(line) }
            return 1
        } catch let error as LedgerError {
            Output.error("rolesync: error: \(error)")
            return 1
        } catch let error as LedgerStoreError {
            Output.error("rolesync: error: \(error)")
            return 1
        } catch let error as SQLiteStoreError {
            Output.error("rolesync: error: \(error)")
            return 1
        } catch let code as ExitCode {
            return code.rawValue
        } catch {
            let code = RoleSyncCommand.exitCode(for: error)
            let message = RoleSyncCommand.fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { Output.line(message) }
                return 0
            }
            if !message.isEmpty { Output.error(message) }
            // argument-parser's usage errors (64) are this tool's exit code 2.
            return code == .validationFailure ? 2 : code.rawValue
        }
    }
}

/// A failure the user can fix: a one-line message naming the file and what is wrong. Exit code 1.
struct CLIError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Writing to standard output and standard error.
enum Output {
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
