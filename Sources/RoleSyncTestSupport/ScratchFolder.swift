package import Foundation

/// A folder of its own in the temporary directory, removed with everything in it when the last
/// reference goes: a test's databases (with their `-wal` and `-shm` files), configurations and
/// mappings never outlive the test, whether it passes, fails or throws.
///
/// ```swift
/// struct LedgerCLITests {
///     let scratch = try ScratchFolder("cli")
///     var database: String { scratch.path("ledger.sqlite") }
/// }
/// ```
package final class ScratchFolder: Sendable {
    /// The folder.
    package let url: URL

    /// Creates `rolesync-LABEL-UUID` in the temporary directory.
    /// - Throws: when the folder cannot be created.
    package init(_ label: String) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("rolesync-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The path of `name` inside the folder (not created).
    package func path(_ name: String) -> String {
        url.appendingPathComponent(name).path
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}
