import RoleSyncSCIM

/// Why Google Workspace's directory could not be read whole. Any of these means the listing is
/// incomplete, so the run decides nothing from it. Each names the request; none holds the
/// private key, the signed assertion or a token.
package enum GoogleError: DirectoryReadError, Equatable {
    /// The service account's private key cannot sign (not an RSA key in PEM).
    case key(String)
    /// The token endpoint refused the assertion: its `error` and `error_description`.
    case token(status: Int, detail: String?)
    /// Google could not be reached (after the retries).
    case unreachable(path: String, reason: String)
    /// Google answered with an error status: its `error.message` and the first `reason`.
    case status(Int, path: String, detail: String?)
    /// Google kept answering 429 (or 403 `rateLimitExceeded`) after every backoff.
    case throttled(path: String, tries: Int)
    /// An answer is not the JSON Google documents.
    case malformed(path: String, reason: String)
    /// The paging went in a circle or past any plausible size.
    case inconsistent(String)

    package var code: String {
        switch self {
        case .key: "google_key"
        case .token: "google_token"
        case .unreachable: "google_unreachable"
        case .status: "google_status"
        case .throttled: "google_throttled"
        case .malformed: "google_malformed"
        case .inconsistent: "google_inconsistent"
        }
    }

    package var description: String {
        switch self {
        case .key(let reason): "the service account's private key cannot sign: \(reason) (check directory.service_account_file)"
        case .token(let status, let detail):
            "Google's token endpoint refused the service account's assertion with HTTP \(status)" + (detail.map { ": \($0)" } ?? "")
                + " (check the key, the subject, and the client id's domain-wide delegation with the scopes "
                + "admin.directory.user.readonly and admin.directory.group.readonly)"
        case .unreachable(let path, let reason): "Google cannot be reached for \(path): \(reason)"
        case .status(let status, let path, let detail):
            "Google answered \(path) with HTTP \(status)" + (detail.map { ": \($0)" } ?? "") + Self.hint(status)
        case .throttled(let path, let tries): "Google kept rate-limiting \(path) after \(tries) tries"
        case .malformed(let path, let reason): "Google's answer to \(path) is not usable: \(reason)"
        case .inconsistent(let reason): "Google's listing cannot be trusted: \(reason)"
        }
    }

    static func hint(_ status: Int) -> String {
        switch status {
        case 401: " (the token was refused)"
        case 403: " (the subject is not an administrator who may read users and groups, or the Admin SDK API is not enabled)"
        case 404: " (check directory.customer)"
        default: ""
        }
    }
}
