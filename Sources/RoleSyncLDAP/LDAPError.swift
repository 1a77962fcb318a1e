import RoleSyncSCIM

/// Why an LDAP directory could not be read whole. Any of these means the listing is incomplete,
/// so the run decides nothing from it. Each names the server or the search (base and filter);
/// none holds the bind password.
package enum LDAPError: DirectoryReadError, Equatable {
    /// The server could not be reached, or the connection broke: the client library's reason.
    case unreachable(url: String, reason: String)
    /// StartTLS (or the TLS of `ldaps://`) failed: often an untrusted certificate.
    case tls(url: String, reason: String)
    /// The server refused the bind DN and password: the result code and the server's message.
    case bind(code: Int32, dn: String, reason: String)
    /// A search failed: the result code, where, and the server's message.
    case search(code: Int32, base: String, filter: String, reason: String)
    /// An entry is not what the directory's settings expect.
    case malformed(dn: String, reason: String)
    /// The paging went in a circle or past any plausible size.
    case inconsistent(String)

    package var code: String {
        switch self {
        case .unreachable: "ldap_unreachable"
        case .tls: "ldap_tls"
        case .bind: "ldap_bind"
        case .search: "ldap_search"
        case .malformed: "ldap_malformed"
        case .inconsistent: "ldap_inconsistent"
        }
    }

    package var description: String {
        switch self {
        case .unreachable(let url, let reason): "the LDAP server \(url) cannot be reached: \(reason)"
        case .tls(let url, let reason):
            "TLS with the LDAP server \(url) failed: \(reason) (check directory.ca_file and that the certificate names the host in directory.url)"
        case .bind(let code, let dn, let reason):
            "the LDAP server refused to bind as '\(dn)' (result \(code))" + (reason.isEmpty ? "" : ": \(reason)") + Self.bindHint(code)
        case .search(let code, let base, let filter, let reason):
            "the LDAP search under '\(base)' for \(filter) failed (result \(code))" + (reason.isEmpty ? "" : ": \(reason)")
                + Self.searchHint(code)
        case .malformed(let dn, let reason): "the LDAP entry '\(dn)' is not usable: \(reason)"
        case .inconsistent(let reason): "the LDAP listing cannot be trusted: \(reason)"
        }
    }

    static func bindHint(_ code: Int32) -> String {
        switch code {
        case 49: " (check directory.bind_dn and the password in directory.bind_password_env)"
        case 8, 13: " (the server wants an encrypted connection: use ldaps:// or start_tls: true)"
        default: ""
        }
    }

    static func searchHint(_ code: Int32) -> String {
        switch code {
        case 32: " (the base does not exist: check directory.users.base and directory.groups.base)"
        case 50: " (the bind DN may not read these entries)"
        case 4: " (the server's size limit cut the listing short: allow the bind DN paged searches past it)"
        case 87: " (the filter is not valid LDAP: check directory.users.filter and directory.groups.filter)"
        default: ""
        }
    }
}
