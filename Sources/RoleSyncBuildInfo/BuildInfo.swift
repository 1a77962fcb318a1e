/// What this binary is: its version (semantic versioning, from the repository's `VERSION` file)
/// and the commit it was built from. `Plugins/BuildInfoPlugin` writes both before each build.
///
/// `rolesync --version`, `GET /healthz`, the dashboard's sidebar and the `rolesync_build_info`
/// gauge all show these.
package enum BuildInfo {
    /// `1.0.0`.
    package static let version = generatedVersion
    /// The commit's first 12 hex digits, `-dirty` after it when tracked files had changes, or
    /// `unknown` when the sources were not a Git checkout.
    package static let commit = generatedCommit
    /// `1.0.0 (commit 0123456789ab)`: what `rolesync --version` prints.
    package static let description = "\(version) (commit \(commit))"
}
