package import Foundation

/// A strict JSON reader producing ``ClaimValue``s: RFC 8259 grammar, nesting limited, errors with
/// line and column. Foundation's decoders report neither position nor type faithfully enough (and
/// decoding an untyped value through `Decodable` costs a thrown error per guess).
package struct JSONReader {
    /// Why a text is not JSON; `line` and `column` are 1-based (columns count bytes).
    package typealias SyntaxError = JSONError

    static let maximumDepth = 128

    private let bytes: [UInt8]
    private var i = 0

    /// Reads one JSON value that must fill the whole input (surrounding whitespace aside).
    package static func value(from bytes: [UInt8]) throws(SyntaxError) -> ClaimValue {
        var reader = JSONReader(bytes: bytes)
        reader.skipWhitespace()
        guard reader.i < bytes.count else { throw reader.error("the input is empty") }
        let value = try reader.readValue(depth: 0)
        reader.skipWhitespace()
        guard reader.i == bytes.count else { throw reader.error("unexpected text after the JSON value") }
        return value
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private func error(_ message: String, at offset: Int? = nil) -> SyntaxError {
        let position = min(offset ?? i, bytes.count)
        var line = 1
        var lineStart = 0
        for (index, byte) in bytes[..<position].enumerated() where byte == 0x0A {
            line += 1
            lineStart = index + 1
        }
        return SyntaxError(message: message, line: line, column: position - lineStart + 1)
    }

    private mutating func skipWhitespace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    private mutating func readValue(depth: Int) throws(SyntaxError) -> ClaimValue {
        guard depth < Self.maximumDepth else { throw error("nesting deeper than \(Self.maximumDepth) levels") }
        guard i < bytes.count else { throw error("unexpected end of input") }
        switch bytes[i] {
        case UInt8(ascii: "{"): return try readObject(depth: depth)
        case UInt8(ascii: "["): return try readArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "t"):
            try expect("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expect("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expect("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try readNumber())
        default: throw error("unexpected character '\(Self.show(bytes[i]))'")
        }
    }

    private mutating func expect(_ word: StaticString) throws(SyntaxError) {
        let start = i
        for byte in UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount) {
            guard i < bytes.count, bytes[i] == byte else { throw error("invalid literal (expected \(word))", at: start) }
            i += 1
        }
    }

    private mutating func readObject(depth: Int) throws(SyntaxError) -> ClaimValue {
        i += 1
        var object: [String: ClaimValue] = [:]
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
            i += 1
            return .object(object)
        }
        while true {
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw error("expected a member name in double quotes") }
            let key = try readString()
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw error("expected ':' after the member name") }
            i += 1
            skipWhitespace()
            object[key] = try readValue(depth: depth + 1)
            skipWhitespace()
            guard i < bytes.count else { throw error("unexpected end of input inside an object") }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            guard bytes[i] == UInt8(ascii: "}") else { throw error("expected ',' or '}' in an object") }
            i += 1
            return .object(object)
        }
    }

    private mutating func readArray(depth: Int) throws(SyntaxError) -> ClaimValue {
        i += 1
        var array: [ClaimValue] = []
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
            i += 1
            return .array(array)
        }
        while true {
            skipWhitespace()
            array.append(try readValue(depth: depth + 1))
            skipWhitespace()
            guard i < bytes.count else { throw error("unexpected end of input inside a list") }
            if bytes[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            guard bytes[i] == UInt8(ascii: "]") else { throw error("expected ',' or ']' in a list") }
            i += 1
            return .array(array)
        }
    }

    private mutating func readString() throws(SyntaxError) -> String {
        let open = i
        i += 1
        let start = i
        // Fast path: no escapes.
        while i < bytes.count, bytes[i] != UInt8(ascii: "\""), bytes[i] != UInt8(ascii: "\\"), bytes[i] >= 0x20 { i += 1 }
        if i < bytes.count, bytes[i] == UInt8(ascii: "\"") {
            let s = String(decoding: bytes[start..<i], as: UTF8.self)
            i += 1
            return s
        }
        var buffer = Array(bytes[start..<i])
        while true {
            guard i < bytes.count else { throw error("unterminated string", at: open) }
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") {
                i += 1
                return String(decoding: buffer, as: UTF8.self)
            }
            guard byte >= 0x20 else { throw error("control character in a string (escape it)") }
            guard byte == UInt8(ascii: "\\") else {
                buffer.append(byte)
                i += 1
                continue
            }
            i += 1
            guard i < bytes.count else { throw error("unterminated escape") }
            switch bytes[i] {
            case UInt8(ascii: "\""): buffer.append(0x22)
            case UInt8(ascii: "\\"): buffer.append(0x5C)
            case UInt8(ascii: "/"): buffer.append(0x2F)
            case UInt8(ascii: "b"): buffer.append(0x08)
            case UInt8(ascii: "f"): buffer.append(0x0C)
            case UInt8(ascii: "n"): buffer.append(0x0A)
            case UInt8(ascii: "r"): buffer.append(0x0D)
            case UInt8(ascii: "t"): buffer.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try readHex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    // A high surrogate must be followed by an escaped low one.
                    guard i + 2 < bytes.count, bytes[i + 1] == UInt8(ascii: "\\"), bytes[i + 2] == UInt8(ascii: "u") else {
                        throw error("unpaired surrogate in \\u escape")
                    }
                    i += 2
                    let low = try readHex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw error("unpaired surrogate in \\u escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw error("unpaired surrogate in \\u escape")
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
                buffer.append(contentsOf: String(Character(unicode)).utf8)
            default:
                throw error("invalid escape '\\\(Self.show(bytes[i]))'")
            }
            i += 1
        }
    }

    /// Reads the four hex digits after `\u`; leaves `i` on the last digit.
    private mutating func readHex4() throws(SyntaxError) -> UInt32 {
        guard i + 4 < bytes.count else { throw error("incomplete \\u escape") }
        var value: UInt32 = 0
        for offset in 1...4 {
            let c = bytes[i + offset]
            let digit: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw error("invalid hex digit in \\u escape", at: i + offset)
            }
            value = value * 16 + digit
        }
        i += 4
        return value
    }

    private mutating func readNumber() throws(SyntaxError) -> Double {
        let start = i
        func digits() -> Int {
            let from = i
            while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") { i += 1 }
            return i - from
        }
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < bytes.count else { throw error("incomplete number", at: start) }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
        } else if digits() == 0 {
            throw error("invalid number", at: start)
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { throw error("invalid number: digits must follow '.'", at: start) }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw error("invalid number: digits must follow the exponent", at: start) }
        }
        guard let value = Double(String(decoding: bytes[start..<i], as: UTF8.self)), value.isFinite else {
            throw error("number out of range", at: start)
        }
        return value
    }

    private static func show(_ byte: UInt8) -> String {
        if byte >= 0x20 && byte < 0x7F { return String(UnicodeScalar(byte)) }
        let hex = String(byte, radix: 16, uppercase: true)
        return "\\x" + (hex.count == 1 ? "0" + hex : hex)
    }
}

/// Why a text is not JSON, and where: `line` and `column` are 1-based (columns count bytes).
package struct JSONError: Error, Sendable, Hashable, CustomStringConvertible {
    package var message: String
    package var line: Int
    package var column: Int

    package init(message: String, line: Int, column: Int) {
        self.message = message
        self.line = line
        self.column = column
    }

    /// `<what> at line L, column C`.
    package var reason: String { "\(message) at line \(line), column \(column)" }
    package var description: String { "not valid JSON: \(reason)" }
}

extension ClaimValue {
    /// Reads a JSON text strictly (RFC 8259). A duplicate member keeps its lexically last value,
    /// as RFC 7515 §4 allows for JOSE headers.
    /// - Throws: ``JSONError`` with the line and column of the first error.
    package init(json: Data) throws(JSONError) {
        self = try JSONReader.value(from: Array(json))
    }
}
