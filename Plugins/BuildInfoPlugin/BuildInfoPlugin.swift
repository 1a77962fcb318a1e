import Foundation
import PackagePlugin

/// Writes `BuildInfo+Generated.swift` before every build: the version from the repository's
/// `VERSION` file (the one place it is kept) and the commit the sources were built from.
///
/// A prebuild command, so it runs on every build and notices a new commit; the file is rewritten
/// only when its text changes, so an unchanged commit recompiles nothing. Outside a Git checkout
/// (a source tarball) the commit reads `unknown`; a checkout with changes to tracked files gets
/// `-dirty` after the commit.
@main
struct BuildInfoPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) async throws -> [Command] {
        let package = context.package.directoryURL.path(percentEncoded: false)
        let output = context.pluginWorkDirectoryURL.appending(path: "generated")
        let file = output.appending(path: "BuildInfo+Generated.swift").path(percentEncoded: false)
        // $1 the package, $2 the file to write.
        let script = #"""
            set -eu
            version=$(tr -d ' \n\r\t' < "$1/VERSION")
            case "$version" in
                [0-9]*.[0-9]*.[0-9]*) ;;
                *) echo "$1/VERSION: error: '$version' is not a semantic version (MAJOR.MINOR.PATCH)" >&2; exit 1 ;;
            esac
            commit=unknown
            if head=$(git -C "$1" rev-parse --short=12 HEAD 2>/dev/null); then
                commit=$head
                git -C "$1" diff --quiet HEAD -- 2>/dev/null || commit="$commit-dirty"
            fi
            text=$(printf '// Written by Plugins/BuildInfoPlugin before each build: do not edit.\nlet generatedVersion = "%s"\nlet generatedCommit = "%s"\n' "$version" "$commit")
            mkdir -p "$(dirname "$2")"
            if [ ! -f "$2" ] || [ "$(cat "$2")" != "$text" ]; then
                printf '%s\n' "$text" > "$2"
            fi
            """#
        return [
            .prebuildCommand(
                displayName: "BuildInfo: the version from VERSION and the Git commit",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "build-info", package, file],
                outputFilesDirectory: output
            )
        ]
    }
}
