import Foundation
import Logging
import RoleSyncConfig
import RoleSyncLDAP

// LDAP entries as OpenLDAP's library hands them over (a DN and each attribute's values as bytes),
// read as a directory: the input is a list of entries (separated by NUL; in each, fields separated
// by 0x01: the DN, then `name=value` pairs with any bytes as the value), which the session answers
// to every search (users, groups and Active Directory's in-chain searches alike). Both semantics
// read them; the listing ends or fails but never traps or loops.
final class Entries: LDAPSession {
    let entries: [LDAPEntry]
    init(_ entries: [LDAPEntry]) { self.entries = entries }

    func search(base: String, filter: String, attributes: [String], pageSize: Int, each: (LDAPEntry) throws(LDAPError) -> Void) throws(LDAPError) {
        for entry in entries { try each(entry) }
    }

    func close() {}
}

func entries(_ input: Data) -> [LDAPEntry] {
    input.split(separator: 0, omittingEmptySubsequences: false).prefix(200).map { record in
        let fields = record.split(separator: 1, omittingEmptySubsequences: false)
        var attributes: [String: [Data]] = [:]
        for field in fields.dropFirst() {
            guard let equals = field.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = String(decoding: field[field.startIndex..<equals], as: UTF8.self)
            attributes[name, default: []].append(Data(field[(equals + 1)...]))
        }
        return LDAPEntry(dn: String(decoding: fields.first ?? Data(), as: UTF8.self), attributes: attributes)
    }
}

let logger = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let session = Entries(entries(data(start, count)))
    for activeDirectory in [false, true] {
        let options = LDAPOptions(
            url: URL(string: "ldap://127.0.0.1:389")!,
            settings: LDAPSettings(
                bindDN: nil,
                bindPassword: nil,
                userBase: "dc=example,dc=com",
                memberAttribute: "member",
                matchAttribute: activeDirectory ? "objectGUID" : "entryUUID",
                activeDirectory: activeDirectory
            )
        )
        _ = try? LDAPDirectory.read(session, options: options, keeping: ["objectSid", "title", "dn"], logger: logger)
    }
    for entry in session.entries {
        _ = LDAPName.normalized(entry.dn)
        _ = LDAPName.filterEscaped(entry.dn)
    }
    return 0
}
