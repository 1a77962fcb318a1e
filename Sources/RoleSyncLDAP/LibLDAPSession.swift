import CLDAP
import Foundation
import RoleSyncSCIM

/// A session through OpenLDAP's client library (`libldap`, protocol version 3): TLS as
/// configured (`ldaps://`, or StartTLS before the bind; the certificate always verified, against
/// `ca_file` when given), a simple bind, and paged subtree searches. Referrals are not chased.
/// Calls block; the directory runs them on a thread of its own.
final class LibLDAPSession: LDAPSession {
    private let handle: OpaquePointer
    private let url: String
    private let timeout: Duration
    private let meter: DirectoryReadMeter
    /// Whether the connection is TLS (`ldaps://` or StartTLS).
    private let usesTLS: Bool
    /// Pages one search may take before it is taken for a loop.
    static let maximumPages = 100_000

    init(options: LDAPOptions, meter: DirectoryReadMeter) throws(LDAPError) {
        url = options.url.absoluteString
        timeout = options.timeout
        usesTLS = options.startTLS || options.url.scheme?.lowercased() == "ldaps"
        self.meter = meter
        var created: OpaquePointer?
        let status = ldap_initialize(&created, url)
        guard status == LDAP_SUCCESS, let created else {
            throw .unreachable(url: url, reason: Self.reason(status))
        }
        handle = created
        do throws(LDAPError) {
            try configure(options)
            if options.startTLS {
                meter.request()
                let started = ldap_start_tls_s(handle, nil, nil)
                guard started == LDAP_SUCCESS else {
                    throw started == LDAP_SERVER_DOWN || started == LDAP_CONNECT_ERROR
                        ? LDAPError.unreachable(url: url, reason: diagnostic(started))
                        : LDAPError.tls(url: url, reason: diagnostic(started))
                }
            }
            try bind(dn: options.bindDN ?? "", password: options.bindPassword ?? "")
        } catch {
            ldap_unbind_ext_s(handle, nil, nil)
            throw error
        }
    }

    private func configure(_ options: LDAPOptions) throws(LDAPError) {
        var version = LDAP_VERSION3
        var off: UnsafeMutableRawPointer? = nil
        var demand = LDAP_OPT_X_TLS_DEMAND
        var limit = timeval(tv_sec: Int(options.timeout.components.seconds), tv_usec: 0)
        var fresh: Int32 = 0
        var failed = ldap_set_option(handle, LDAP_OPT_PROTOCOL_VERSION, &version) != LDAP_OPT_SUCCESS
        failed = failed || ldap_set_option(handle, LDAP_OPT_REFERRALS, &off) != LDAP_OPT_SUCCESS
        failed = failed || ldap_set_option(handle, LDAP_OPT_NETWORK_TIMEOUT, &limit) != LDAP_OPT_SUCCESS
        failed = failed || ldap_set_option(handle, LDAP_OPT_TIMEOUT, &limit) != LDAP_OPT_SUCCESS
        failed = failed || ldap_set_option(handle, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) != LDAP_OPT_SUCCESS
        if let caFile = options.caFile {
            failed = failed || ldap_set_option(handle, LDAP_OPT_X_TLS_CACERTFILE, caFile) != LDAP_OPT_SUCCESS
        }
        // A TLS context of this connection's own, so the options above apply to it alone.
        failed = failed || ldap_set_option(handle, LDAP_OPT_X_TLS_NEWCTX, &fresh) != LDAP_OPT_SUCCESS
        if failed { throw .tls(url: url, reason: "the client library refused the connection's TLS options") }
    }

    private func bind(dn: String, password: String) throws(LDAPError) {
        meter.request()
        var bytes = Array(password.utf8)
        defer { for index in bytes.indices { bytes[index] = 0 } }
        let status = bytes.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(1, buffer.count)) { pointer in
                var credential = berval(bv_len: ber_len_t(buffer.count), bv_val: buffer.count == 0 ? nil : pointer)
                return ldap_sasl_bind_s(handle, dn, nil, &credential, nil, nil, nil)
            }
        }
        guard status == LDAP_SUCCESS else {
            if status == LDAP_SERVER_DOWN || status == LDAP_CONNECT_ERROR || status == LDAP_TIMEOUT {
                throw .unreachable(url: url, reason: diagnostic(status))
            }
            throw .bind(code: status, dn: dn.isEmpty ? "(anonymous)" : dn, reason: diagnostic(status))
        }
    }

    func search(base: String, filter: String, attributes: [String], pageSize: Int, each: (LDAPEntry) throws(LDAPError) -> Void) throws(LDAPError) {
        let names = attributes.map { strdup($0) } + [nil]
        defer { for name in names { free(name) } }
        var cookie = berval(bv_len: 0, bv_val: nil)
        defer { ber_memfree(cookie.bv_val) }
        var pages = 0
        repeat {
            pages += 1
            guard pages <= Self.maximumPages else { throw .inconsistent("the search under '\(base)' took more than \(Self.maximumPages) pages") }
            meter.request()
            var control: UnsafeMutablePointer<LDAPControl>?
            let created =
                pages == 1
                ? ldap_create_page_control(handle, ber_int_t(pageSize), nil, 0, &control)
                : ldap_create_page_control(handle, ber_int_t(pageSize), &cookie, 0, &control)
            guard created == LDAP_SUCCESS, let control else { throw .search(code: created, base: base, filter: filter, reason: diagnostic(created)) }
            defer { ldap_control_free(control) }
            var controls: [UnsafeMutablePointer<LDAPControl>?] = [control, nil]
            var limit = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
            var result: OpaquePointer?
            let status = names.withUnsafeBufferPointer { names in
                controls.withUnsafeMutableBufferPointer { controls in
                    ldap_search_ext_s(
                        handle,
                        base,
                        LDAP_SCOPE_SUBTREE,
                        filter,
                        UnsafeMutablePointer(mutating: names.baseAddress),
                        0,
                        controls.baseAddress,
                        nil,
                        &limit,
                        LDAP_NO_LIMIT,
                        &result
                    )
                }
            }
            defer { ldap_msgfree(result) }
            guard status == LDAP_SUCCESS else {
                if status == LDAP_SERVER_DOWN || status == LDAP_CONNECT_ERROR || status == LDAP_TIMEOUT {
                    throw .unreachable(url: url, reason: diagnostic(status))
                }
                throw .search(code: status, base: base, filter: filter, reason: diagnostic(status))
            }
            var entry = ldap_first_entry(handle, result)
            while let current = entry {
                try each(decode(current))
                entry = ldap_next_entry(handle, current)
            }
            var serverControls: UnsafeMutablePointer<UnsafeMutablePointer<LDAPControl>?>?
            var code: Int32 = 0
            let parsed = ldap_parse_result(handle, result, &code, nil, nil, nil, &serverControls, 0)
            defer { ldap_controls_free(serverControls) }
            guard parsed == LDAP_SUCCESS else { throw .search(code: parsed, base: base, filter: filter, reason: diagnostic(parsed)) }
            ber_memfree(cookie.bv_val)
            cookie = berval(bv_len: 0, bv_val: nil)
            // A server without paging answered everything at once: no control, no next page.
            guard let response = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, serverControls, nil) else { break }
            var estimate: ber_int_t = 0
            let read = ldap_parse_pageresponse_control(handle, response, &estimate, &cookie)
            guard read == LDAP_SUCCESS else {
                throw .search(code: read, base: base, filter: filter, reason: "the paged results control cannot be read")
            }
        } while cookie.bv_len > 0
    }

    /// An entry's DN and attribute values.
    private func decode(_ message: OpaquePointer) throws(LDAPError) -> LDAPEntry {
        guard let rawDN = ldap_get_dn(handle, message) else { throw .malformed(dn: "(unknown)", reason: "the entry has no name") }
        let dn = String(cString: rawDN)
        ldap_memfree(rawDN)
        var attributes: [String: [Data]] = [:]
        var element: OpaquePointer?
        var name = ldap_first_attribute(handle, message, &element)
        while let current = name {
            let attribute = String(cString: current)
            var values: [Data] = []
            if let list = ldap_get_values_len(handle, message, current) {
                var index = 0
                while let value = list[index] {
                    if let start = value.pointee.bv_val {
                        values.append(Data(bytes: start, count: Int(value.pointee.bv_len)))
                    } else {
                        values.append(Data())
                    }
                    index += 1
                }
                ldap_value_free_len(list)
            }
            attributes[attribute, default: []].append(contentsOf: values)
            ldap_memfree(current)
            name = ldap_next_attribute(handle, message, element)
        }
        if let element { ber_free(element, 0) }
        return LDAPEntry(dn: dn, attributes: attributes)
    }

    func close() {
        ldap_unbind_ext_s(handle, nil, nil)
    }

    /// The library's text for a result code, and the server's diagnostic message if it sent one.
    private func diagnostic(_ status: Int32) -> String {
        var message: UnsafeMutablePointer<CChar>?
        ldap_get_option(handle, LDAP_OPT_DIAGNOSTIC_MESSAGE, &message)
        defer { ldap_memfree(message) }
        // The library says "(unknown error code)" where it has nothing to add: left out.
        let detail = message.map { String(cString: $0) }.flatMap { $0.isEmpty || $0 == "(unknown error code)" ? nil : $0 }
        var text = [Self.reason(status), detail].compactMap { $0 }.joined(separator: ": ")
        // A certificate the library does not trust ends the connection as "Can't contact LDAP
        // server" too: say so where TLS was asked for.
        if status == LDAP_SERVER_DOWN || status == LDAP_CONNECT_ERROR, usesTLS {
            text += " (or its TLS certificate is not trusted: check directory.ca_file)"
        }
        return text
    }

    static func reason(_ status: Int32) -> String {
        ldap_err2string(status).map { String(cString: $0) } ?? "result \(status)"
    }
}
