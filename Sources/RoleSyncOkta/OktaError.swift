import RoleSyncSCIM

/// Why Okta's directory could not be read whole. Any of these means the listing is incomplete, so
/// the run decides nothing from it. Each names the request (path and query, never the token).
package enum OktaError: DirectoryReadError, Equatable {
    /// Okta could not be reached (after the retries).
    case unreachable(path: String, reason: String)
    /// Okta answered with an error status: its `errorCode` and `errorSummary` when it sent them.
    case status(Int, path: String, detail: String?)
    /// Okta kept answering 429 after every wait its rate-limit headers asked for.
    case rateLimited(path: String, tries: Int)
    /// Okta answered something that is not the JSON array of users or groups the API documents.
    case malformed(path: String, reason: String)
    /// A `Link: rel="next"` pointed somewhere other than the configured org.
    case foreignLink(path: String, target: String)
    /// The paging went in a circle or past any plausible size.
    case inconsistent(String)
    /// The service app's private key cannot sign (not an RSA key in PEM).
    case key(String)
    /// The org's token endpoint refused the service app: its `error` and `error_description`.
    case token(status: Int, detail: String?)

    package var code: String {
        switch self {
        case .unreachable: "okta_unreachable"
        case .status: "okta_status"
        case .rateLimited: "okta_rate_limited"
        case .malformed: "okta_malformed"
        case .foreignLink: "okta_foreign_link"
        case .inconsistent: "okta_inconsistent"
        case .key: "okta_key"
        case .token: "okta_token"
        }
    }

    package var description: String {
        switch self {
        case .unreachable(let path, let reason): "Okta cannot be reached for \(path): \(reason)"
        case .status(let status, let path, let detail):
            "Okta answered \(path) with HTTP \(status)" + (detail.map { ": \($0)" } ?? "") + Self.hint(status, path: path)
        case .rateLimited(let path, let tries): "Okta kept answering \(path) with 429 (rate limited) after \(tries) tries"
        case .malformed(let path, let reason): "Okta's answer to \(path) is not usable: \(reason)"
        case .foreignLink(let path, let target):
            "Okta's answer to \(path) sends the next page to \(target), which is not the configured org; refused"
        case .inconsistent(let reason): "Okta's listing cannot be trusted: \(reason)"
        case .key(let reason): "the service app's private key cannot sign: \(reason) (check directory.private_key_file)"
        case .token(let status, let detail):
            "Okta's token endpoint refused the service app with HTTP \(status)" + (detail.map { ": \($0)" } ?? "")
                + " (check directory.client_id, that the app's public key matches directory.private_key_file, and that the app is granted "
                + "the scopes okta.users.read and okta.groups.read and a read-only administrator role)"
        }
    }

    /// What the usual statuses mean for an operator.
    static func hint(_ status: Int, path: String) -> String {
        switch status {
        case 404 where path.hasPrefix("/api/v1/groups/"): " (the group was deleted while the directory was read; the next run reads it again)"
        case 401: " (the API token is wrong, expired or revoked: directory.token_env; or the service app's token was refused)"
        case 403:
            " (the token's admin, or the service app, lacks read access to users and groups; a read-only administrator role and the scopes okta.users.read and okta.groups.read suffice)"
        case 404: " (directory.url is not an Okta org's address)"
        default: ""
        }
    }
}
