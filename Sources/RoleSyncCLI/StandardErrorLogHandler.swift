import Logging

/// swift-log's `StreamLogHandler` on standard error, with its metadata formatted only when a line is
/// written. `StreamLogHandler` formats all of its metadata again each time one key is set, and
/// Hummingbird sets the request id on every request's logger, so every request paid for a line
/// that, at `info`, a passing gateway check never writes (about 3% of a check's CPU,
/// docs/performance.md). The lines are `StreamLogHandler`'s own.
struct StandardErrorLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider

    init(label: String, logLevel: Logger.Level) {
        self.label = label
        self.logLevel = logLevel
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var stream = StreamLogHandler.standardError(label: label, metadataProvider: metadataProvider)
        stream.logLevel = logLevel
        stream.metadata = metadata
        stream.log(event: event)
    }
}
