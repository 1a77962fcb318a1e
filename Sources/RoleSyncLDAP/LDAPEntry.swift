package import Foundation

/// One entry as a search returned it: its distinguished name and the values of the attributes
/// asked for, by lower-cased attribute name (LDAP attribute descriptions ignore case).
package struct LDAPEntry: Sendable, Hashable {
    package var dn: String
    package var attributes: [String: [Data]]

    package init(dn: String, attributes: [String: [Data]]) {
        self.dn = dn
        var lowered: [String: [Data]] = [:]
        for (name, values) in attributes { lowered[name.lowercased(), default: []].append(contentsOf: values) }
        self.attributes = lowered
    }

    /// The raw values of an attribute (none when absent).
    package func values(_ name: String) -> [Data] { attributes[name.lowercased()] ?? [] }

    /// An attribute's values as text (``LDAPValue/text(_:of:)``).
    package func strings(_ name: String) -> [String] { values(name).map { LDAPValue.text($0, of: name) } }

    /// An attribute's first value as text; `nil` when absent or empty.
    package func string(_ name: String) -> String? {
        guard let first = values(name).first else { return nil }
        let text = LDAPValue.text(first, of: name)
        return text.isEmpty ? nil : text
    }
}

/// How attribute values become text.
package enum LDAPValue {
    /// `objectGUID` (16 bytes) as Windows writes a GUID, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`
    /// with the first three groups little-endian, lower-case (the form Active Directory's tools
    /// and Keycloak's LDAP federation show); `objectSid` as `S-1-5-21-…`; any other value as
    /// UTF-8 text, or base64 when it is not UTF-8.
    package static func text(_ value: Data, of attribute: String) -> String {
        let bytes = [UInt8](value)
        switch attribute.lowercased() {
        case "objectguid" where bytes.count == 16:
            let order = [3, 2, 1, 0, -1, 5, 4, -1, 7, 6, -1, 8, 9, -1, 10, 11, 12, 13, 14, 15]
            return order.map { $0 < 0 ? "-" : hex(bytes[$0]) }.joined()
        case "objectsid":
            if let sid = sid(bytes) { return sid }
        default:
            break
        }
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        return value.base64EncodedString()
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xf)]])
    }

    /// A security identifier's binary form (MS-DTYP §2.4.2.2) as `S-1-…`; `nil` when malformed.
    static func sid(_ bytes: [UInt8]) -> String? {
        guard bytes.count >= 8, bytes[0] == 1 else { return nil }
        let count = Int(bytes[1])
        guard bytes.count == 8 + 4 * count else { return nil }
        let authority = bytes[2..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        var parts = ["S", "1", String(authority)]
        for index in 0..<count {
            let at = 8 + 4 * index
            let value = UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
            parts.append(String(value))
        }
        return parts.joined(separator: "-")
    }
}

/// Distinguished names (RFC 4514) as far as comparing them needs, and filter values (RFC 4515).
package enum LDAPName {
    /// One attribute type and value of a relative distinguished name, the value unescaped.
    package struct Pair: Sendable, Hashable {
        package var type: String
        package var value: String
    }

    /// The names's relative distinguished names, each a list of type-value pairs (more than one
    /// with `+`), values unescaped; `nil` when the text is not a distinguished name.
    package static func parse(_ dn: String) -> [[Pair]]? {
        let bytes = Array(dn.utf8)
        var rdns: [[Pair]] = []
        var current: [Pair] = []
        var index = 0
        func skipSpaces() { while index < bytes.count, bytes[index] == 0x20 { index += 1 } }
        skipSpaces()
        if index == bytes.count { return [] }
        while true {
            skipSpaces()
            let typeStart = index
            while index < bytes.count, bytes[index] != UInt8(ascii: "=") { index += 1 }
            guard index < bytes.count else { return nil }
            let type = String(decoding: bytes[typeStart..<index], as: UTF8.self).trimmingCharacters(in: .whitespaces)
            guard !type.isEmpty,
                type.utf8.allSatisfy({
                    $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") || (0x30...0x39).contains($0) || (0x41...0x5a).contains($0)
                        || (0x61...0x7a).contains($0)
                })
            else { return nil }
            index += 1
            skipSpaces()
            var value: [UInt8] = []
            var trailingSpaces = 0
            if index < bytes.count, bytes[index] == UInt8(ascii: "#") {
                // A BER-encoded value in hex: kept as written, compared ignoring case.
                while index < bytes.count, bytes[index] != UInt8(ascii: ","), bytes[index] != UInt8(ascii: "+") {
                    value.append(bytes[index])
                    index += 1
                }
            } else {
                while index < bytes.count {
                    let byte = bytes[index]
                    if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ";") { break }
                    if byte == UInt8(ascii: "\\") {
                        guard index + 1 < bytes.count else { return nil }
                        let next = bytes[index + 1]
                        if let high = hexDigit(next), index + 2 < bytes.count, let low = hexDigit(bytes[index + 2]) {
                            value.append(high << 4 | low)
                            index += 3
                        } else {
                            value.append(next)
                            index += 2
                        }
                        trailingSpaces = 0
                        continue
                    }
                    trailingSpaces = byte == 0x20 ? trailingSpaces + 1 : 0
                    value.append(byte)
                    index += 1
                }
                value.removeLast(trailingSpaces)
            }
            guard let text = String(validating: value, as: UTF8.self) else { return nil }
            current.append(Pair(type: type, value: text))
            if index == bytes.count {
                rdns.append(current)
                return rdns
            }
            if bytes[index] != UInt8(ascii: "+") {
                rdns.append(current)
                current = []
            }
            index += 1
        }
    }

    /// The form two names are compared in: attribute types and values lower-cased, spaces around
    /// separators dropped, escapes written one way. Directories compare the values of `cn`,
    /// `ou`, `dc` and `uid` ignoring case, so this matches what the server would; a text that is
    /// not a name is only lower-cased.
    package static func normalized(_ dn: String) -> String {
        guard let rdns = parse(dn) else { return dn.lowercased() }
        return rdns.map { rdn in
            rdn.map { "\($0.type.lowercased())=\(escaped(value: $0.value.lowercased()))" }.joined(separator: "+")
        }.joined(separator: ",")
    }

    /// The value of a name's first relative distinguished name (`Engineering` of
    /// `cn=Engineering,ou=groups,dc=example,dc=com`).
    package static func leadingValue(_ dn: String) -> String? {
        parse(dn)?.first?.first?.value
    }

    /// A value escaped for a distinguished name (RFC 4514 §2.4).
    static func escaped(value: String) -> String {
        var out = ""
        let scalars = Array(value.unicodeScalars)
        for (index, scalar) in scalars.enumerated() {
            switch scalar {
            case ",", "+", "\"", "\\", "<", ">", ";", "=": out += "\\\(scalar)"
            case "#" where index == 0: out += "\\#"
            case " " where index == 0 || index == scalars.count - 1: out += "\\ "
            case "\0": out += "\\00"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A value escaped for a search filter (RFC 4515 §3): `*`, `(`, `)`, `\` and NUL as `\XX`.
    package static func filterEscaped(_ value: String) -> String {
        var out: [UInt8] = []
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "*"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "\\"), 0:
                out += [UInt8(ascii: "\\")] + Array(LDAPValue.hex(byte).utf8)
            default:
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}
