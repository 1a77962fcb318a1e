import Foundation

/// A JSON value with its type kept, as claims, provider documents, SCIM resources and audit details
/// carry it: the string `"true"` is not the boolean `true`.
package enum ClaimValue: Sendable, Hashable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case array([ClaimValue])
    case object([String: ClaimValue])
    case null

    /// The JSON type's name, for traces and errors ("string", "boolean", …).
    package var typeName: String {
        switch self {
        case .string: "string"
        case .number: "number"
        case .bool: "boolean"
        case .array: "list"
        case .object: "object"
        case .null: "null"
        }
    }

    /// Whether the value is present but empty: `""`, `[]` or `{}`.
    package var isEmpty: Bool {
        switch self {
        case .string(let s): s.isEmpty
        case .array(let a): a.isEmpty
        case .object(let o): o.isEmpty
        case .number, .bool, .null: false
        }
    }

    /// The string, when this is a string.
    package var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The members, when this is an object.
    package var objectValue: [String: ClaimValue]? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The elements, when this is a list.
    package var arrayValue: [ClaimValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// A scalar's text as a profile attribute takes it: strings as they are, numbers and booleans spelled out.
    package var scalarText: String? {
        switch self {
        case .string(let s): s
        case .number, .bool: jsonText
        case .array, .object, .null: nil
        }
    }

    /// The value as compact JSON, keys sorted. Used in traces and messages.
    package var jsonText: String {
        switch self {
        case .string(let s): return Self.quoted(s)
        case .number(let n):
            if n.rounded() == n, abs(n) < 1e15 { return String(Int64(n)) }
            return String(n)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array(let a): return "[" + a.map(\.jsonText).joined(separator: ",") + "]"
        case .object(let o):
            return "{" + o.keys.sorted().map { Self.quoted($0) + ":" + (o[$0]?.jsonText ?? "null") }.joined(separator: ",") + "}"
        }
    }

    /// A short rendering for a trace: long lists and strings are cut, with the total said.
    package func abbreviated(maxElements: Int = 5, maxLength: Int = 60) -> String {
        switch self {
        case .array(let a) where a.count > maxElements:
            let shown = a.prefix(maxElements).map { $0.abbreviated(maxElements: maxElements, maxLength: maxLength) }
            return "[" + shown.joined(separator: ",") + ",… (\(a.count) elements)]"
        case .string(let s) where s.count > maxLength:
            return Self.quoted(String(s.prefix(maxLength))) + "…"
        default:
            let text = jsonText
            return text.count > maxLength * 2 ? String(text.prefix(maxLength * 2)) + "…" : text
        }
    }

    package static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

extension ClaimValue: Codable {
    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? container.decode(Double.self) {
            self = .number(n)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let a = try? container.decode([ClaimValue].self) {
            self = .array(a)
        } else {
            self = .object(try container.decode([String: ClaimValue].self))
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let s): try container.encode(s)
        case .number(let n):
            if n.rounded() == n, abs(n) < 1e15 { try container.encode(Int64(n)) } else { try container.encode(n) }
        case .bool(let b): try container.encode(b)
        case .array(let a): try container.encode(a)
        case .object(let o): try container.encode(o)
        case .null: try container.encodeNil()
        }
    }
}

extension ClaimValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral {
    package init(stringLiteral value: String) { self = .string(value) }
    package init(booleanLiteral value: Bool) { self = .bool(value) }
    package init(integerLiteral value: Int) { self = .number(Double(value)) }
}
