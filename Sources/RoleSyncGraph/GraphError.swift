import RoleSyncSCIM

/// Why Microsoft Graph's directory could not be read whole. Any of these means the listing is
/// incomplete, so the run decides nothing from it. Each names the request (path and query); none
/// holds the client secret or a token.
package enum GraphError: DirectoryReadError, Equatable {
    /// The certificate's private key cannot sign the client assertion.
    case certificate(String)
    /// The token endpoint refused the app's credentials: its `error` and `error_description`
    /// (which starts with an `AADSTS` code on Entra ID).
    case token(status: Int, detail: String?)
    /// Graph or the token endpoint could not be reached (after the retries).
    case unreachable(path: String, reason: String)
    /// Graph answered with an error status: its `error.code` and `error.message`.
    case status(Int, path: String, detail: String?)
    /// Graph kept answering 429 or 503 after every wait its `Retry-After` asked for.
    case throttled(path: String, tries: Int)
    /// An answer is not the JSON Graph documents.
    case malformed(path: String, reason: String)
    /// An `@odata.nextLink` pointed somewhere other than the configured Graph root.
    case foreignLink(path: String, target: String)
    /// The paging went in a circle or past any plausible size.
    case inconsistent(String)

    package var code: String {
        switch self {
        case .certificate: "graph_certificate"
        case .token: "graph_token"
        case .unreachable: "graph_unreachable"
        case .status: "graph_status"
        case .throttled: "graph_throttled"
        case .malformed: "graph_malformed"
        case .foreignLink: "graph_foreign_link"
        case .inconsistent: "graph_inconsistent"
        }
    }

    package var description: String {
        switch self {
        case .certificate(let reason):
            "the certificate's private key cannot sign the client assertion: \(reason) (check directory.private_key_file)"
        case .token(let status, let detail):
            "the token endpoint refused the app's client credentials with HTTP \(status)" + (detail.map { ": \($0)" } ?? "")
                + " (check directory.tenant_id, client_id and the secret in client_secret_env, or the certificate uploaded to the app registration)"
        case .unreachable(let path, let reason): "Microsoft Graph cannot be reached for \(path): \(reason)"
        case .status(let status, let path, let detail):
            "Microsoft Graph answered \(path) with HTTP \(status)" + (detail.map { ": \($0)" } ?? "") + Self.hint(status)
        case .throttled(let path, let tries): "Microsoft Graph kept throttling \(path) (429 or 503) after \(tries) tries"
        case .malformed(let path, let reason): "Microsoft Graph's answer to \(path) is not usable: \(reason)"
        case .foreignLink(let path, let target):
            "Microsoft Graph's answer to \(path) sends the next page to \(target), which is not the configured Graph root; refused"
        case .inconsistent(let reason): "Microsoft Graph's listing cannot be trusted: \(reason)"
        }
    }

    static func hint(_ status: Int) -> String {
        switch status {
        case 401: " (the token was refused: check the tenant)"
        case 403: " (the app lacks the application permissions User.Read.All and GroupMember.Read.All, or their admin consent)"
        default: ""
        }
    }
}
