import RoleSyncJSON
import RoleSyncMapping

/// The recursive-descent reader behind ``SCIMFilter/init(parsing:)`` and
/// ``SCIMPatch/Path/init(parsing:)``. Positions in errors are 1-based character offsets.
struct SCIMFilterParser {
    enum Token: Equatable {
        case openParenthesis, closeParenthesis, openBracket, closeBracket
        case string(String)
        case number(Double)
        case word(String)
        case end
    }

    private struct Located {
        var token: Token
        var position: Int
    }

    private let tokens: [Located]
    private var index = 0
    /// Builds errors: ``SCIMProtocolError/invalidFilter(_:)`` or ``SCIMProtocolError/invalidPath(_:)``.
    private let failure: (String) -> SCIMProtocolError

    static func filter(_ text: String) throws(SCIMProtocolError) -> SCIMFilter {
        var parser = try SCIMFilterParser(text, failure: SCIMProtocolError.invalidFilter)
        let filter = try parser.parseOr(depth: 0)
        try parser.expectEnd()
        return filter
    }

    /// `PATH = attrPath / valuePath [subAttr]`.
    static func patchPath(_ text: String) throws(SCIMProtocolError) -> SCIMPatch.Path {
        var parser = try SCIMFilterParser(text, failure: SCIMProtocolError.invalidPath)
        let attribute = try parser.parseAttributePath()
        var filter: SCIMFilter?
        var subAttribute: String?
        if parser.current.token == .openBracket {
            guard attribute.subAttribute == nil else { throw parser.error("a value filter must follow an attribute, not a sub-attribute") }
            parser.index += 1
            filter = try parser.parseOr(depth: 1, insideBrackets: true)
            try parser.expect(.closeBracket, "']'")
            if case .word(let word) = parser.current.token, word.hasPrefix(".") {
                let name = word.dropFirst()
                guard SCIMAttributePath.isAttributeName(name) else { throw parser.error("invalid sub-attribute name") }
                subAttribute = String(name)
                parser.index += 1
            }
        }
        try parser.expectEnd()
        return SCIMPatch.Path(attribute: attribute, filter: filter, subAttribute: subAttribute)
    }

    private init(_ text: String, failure: @escaping (String) -> SCIMProtocolError) throws(SCIMProtocolError) {
        self.failure = failure
        let scalars = Array(text.unicodeScalars)
        guard scalars.count <= SCIMFilter.maximumLength else {
            throw failure("longer than \(SCIMFilter.maximumLength) characters")
        }
        self.tokens = try Self.tokenize(scalars, failure: failure)
    }

    // MARK: Grammar

    private var current: Located { tokens[index] }

    private func error(_ message: String, at position: Int? = nil) -> SCIMProtocolError {
        failure("\(message) at position \(position ?? current.position)")
    }

    private mutating func expect(_ token: Token, _ name: String) throws(SCIMProtocolError) {
        guard current.token == token else { throw error("expected \(name)\(found)") }
        index += 1
    }

    private func expectEnd() throws(SCIMProtocolError) {
        guard current.token == .end else { throw error("unexpected \(Self.describe(current.token))") }
    }

    private var found: String { ", found \(Self.describe(current.token))" }

    private func isKeyword(_ keyword: String) -> Bool {
        if case .word(let word) = current.token { return word.lowercased() == keyword }
        return false
    }

    private mutating func parseOr(depth: Int, insideBrackets: Bool = false) throws(SCIMProtocolError) -> SCIMFilter {
        var filter = try parseAnd(depth: depth, insideBrackets: insideBrackets)
        while isKeyword("or") {
            index += 1
            filter = .or(filter, try parseAnd(depth: depth, insideBrackets: insideBrackets))
        }
        return filter
    }

    private mutating func parseAnd(depth: Int, insideBrackets: Bool) throws(SCIMProtocolError) -> SCIMFilter {
        var filter = try parseUnary(depth: depth, insideBrackets: insideBrackets)
        while isKeyword("and") {
            index += 1
            filter = .and(filter, try parseUnary(depth: depth, insideBrackets: insideBrackets))
        }
        return filter
    }

    private mutating func parseUnary(depth: Int, insideBrackets: Bool) throws(SCIMProtocolError) -> SCIMFilter {
        if isKeyword("not"), index + 1 < tokens.count, tokens[index + 1].token == .openParenthesis {
            try checkDepth(depth)
            index += 2
            let inner = try parseOr(depth: depth + 1, insideBrackets: insideBrackets)
            try expect(.closeParenthesis, "')'")
            return .not(inner)
        }
        if current.token == .openParenthesis {
            try checkDepth(depth)
            index += 1
            let inner = try parseOr(depth: depth + 1, insideBrackets: insideBrackets)
            try expect(.closeParenthesis, "')'")
            return inner
        }
        let path = try parseAttributePath()
        if current.token == .openBracket {
            guard !insideBrackets else { throw error("value filters cannot be nested") }
            guard path.subAttribute == nil else { throw error("a value filter must follow an attribute, not a sub-attribute") }
            try checkDepth(depth)
            index += 1
            let inner = try parseOr(depth: depth + 1, insideBrackets: true)
            try expect(.closeBracket, "']'")
            return .valuePath(path, inner)
        }
        guard case .word(let word) = current.token else { throw error("expected an operator after '\(path.description)'\(found)") }
        let operatorPosition = current.position
        index += 1
        if word.lowercased() == "pr" { return .present(path) }
        guard let op = SCIMFilter.ComparisonOperator(rawValue: word.lowercased()) else {
            throw error("unknown operator '\(SCIMProtocolError.excerpt(word, limit: 20))'", at: operatorPosition)
        }
        let valuePosition = current.position
        let value: ClaimValue
        switch current.token {
        case .string(let string): value = .string(string)
        case .number(let number): value = .number(number)
        case .word(let literal) where literal.lowercased() == "true": value = .bool(true)
        case .word(let literal) where literal.lowercased() == "false": value = .bool(false)
        case .word(let literal) where literal.lowercased() == "null": value = .null
        default: throw error("expected a value (a string in double quotes, a number, true, false or null)\(found)")
        }
        index += 1
        switch (op, value) {
        case (.co, .string), (.sw, .string), (.ew, .string): break
        case (.co, _), (.sw, _), (.ew, _): throw error("'\(op.rawValue)' needs a string", at: valuePosition)
        case (.gt, .bool), (.ge, .bool), (.lt, .bool), (.le, .bool), (.gt, .null), (.ge, .null), (.lt, .null), (.le, .null):
            throw error("'\(op.rawValue)' cannot compare \(value == .null ? "null" : "booleans")", at: valuePosition)
        default: break
        }
        return .comparison(path, op, value)
    }

    private mutating func parseAttributePath() throws(SCIMProtocolError) -> SCIMAttributePath {
        guard case .word(let word) = current.token else { throw error("expected an attribute name\(found)") }
        guard let path = SCIMAttributePath(parsing: word) else {
            throw error("invalid attribute path '\(SCIMProtocolError.excerpt(word, limit: 40))'")
        }
        index += 1
        return path
    }

    private func checkDepth(_ depth: Int) throws(SCIMProtocolError) {
        guard depth < SCIMFilter.maximumDepth else { throw error("nested deeper than \(SCIMFilter.maximumDepth) levels") }
    }

    private static func describe(_ token: Token) -> String {
        switch token {
        case .openParenthesis: "'('"
        case .closeParenthesis: "')'"
        case .openBracket: "'['"
        case .closeBracket: "']'"
        case .string: "a string"
        case .number: "a number"
        case .word(let word): "'\(SCIMProtocolError.excerpt(word, limit: 40))'"
        case .end: "the end"
        }
    }

    // MARK: Tokens

    private static func tokenize(
        _ scalars: [Unicode.Scalar],
        failure: (String) -> SCIMProtocolError
    ) throws(SCIMProtocolError) -> [Located] {
        var tokens: [Located] = []
        var i = 0
        func fail(_ message: String, at offset: Int) -> SCIMProtocolError { failure("\(message) at position \(offset + 1)") }
        while i < scalars.count {
            let c = scalars[i]
            let start = i
            switch c {
            case " ", "\t", "\n", "\r":
                i += 1
                continue
            case "(", ")", "[", "]":
                let token: Token = c == "(" ? .openParenthesis : c == ")" ? .closeParenthesis : c == "[" ? .openBracket : .closeBracket
                tokens.append(Located(token: token, position: start + 1))
                i += 1
            case "\"":
                let string = try readString(scalars, &i, fail: fail)
                tokens.append(Located(token: .string(string), position: start + 1))
            case "-", "0"..."9":
                while i < scalars.count, isNumberCharacter(scalars[i]) { i += 1 }
                let text = String(String.UnicodeScalarView(scalars[start..<i]))
                guard isJSONNumber(text), let number = Double(text), number.isFinite else { throw fail("invalid number", at: start) }
                tokens.append(Located(token: .number(number), position: start + 1))
            default:
                guard c.isASCIILetter || c == "$" || c == "." else {
                    throw fail("unexpected character '\(SCIMProtocolError.excerpt(String(c)))'", at: start)
                }
                while i < scalars.count, isWordCharacter(scalars[i]) { i += 1 }
                tokens.append(Located(token: .word(String(String.UnicodeScalarView(scalars[start..<i]))), position: start + 1))
            }
        }
        tokens.append(Located(token: .end, position: scalars.count + 1))
        return tokens
    }

    private static func isWordCharacter(_ c: Unicode.Scalar) -> Bool {
        c.isASCIILetter || ("0"..."9").contains(c) || "-_$:.".unicodeScalars.contains(c)
    }

    private static func isNumberCharacter(_ c: Unicode.Scalar) -> Bool {
        ("0"..."9").contains(c) || "-+.eE".unicodeScalars.contains(c)
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private static func isJSONNumber(_ text: String) -> Bool {
        var s = Substring(text)
        func digits() -> Int {
            let count = s.prefix { ("0"..."9").contains($0) }.count
            s = s.dropFirst(count)
            return count
        }
        if s.first == "-" { s = s.dropFirst() }
        if s.first == "0" {
            s = s.dropFirst()
        } else if digits() == 0 {
            return false
        }
        if s.first == "." {
            s = s.dropFirst()
            guard digits() > 0 else { return false }
        }
        if s.first == "e" || s.first == "E" {
            s = s.dropFirst()
            if s.first == "+" || s.first == "-" { s = s.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return s.isEmpty
    }

    /// A JSON string (RFC 8259 §7) starting at the quote at `i`; `i` ends after the closing quote.
    private static func readString(
        _ scalars: [Unicode.Scalar],
        _ i: inout Int,
        fail: (String, Int) -> SCIMProtocolError
    ) throws(SCIMProtocolError) -> String {
        let open = i
        i += 1
        var out = String.UnicodeScalarView()
        while true {
            guard i < scalars.count else { throw fail("unterminated string", open) }
            let c = scalars[i]
            i += 1
            switch c {
            case "\"":
                return String(out)
            case "\\":
                guard i < scalars.count else { throw fail("unterminated escape", i - 1) }
                let escape = scalars[i]
                i += 1
                switch escape {
                case "\"", "\\", "/": out.append(escape)
                case "b": out.append("\u{08}")
                case "f": out.append("\u{0C}")
                case "n": out.append("\n")
                case "r": out.append("\r")
                case "t": out.append("\t")
                case "u":
                    var code = try readHex(scalars, &i, fail: fail)
                    if (0xD800...0xDBFF).contains(code) {
                        guard i + 1 < scalars.count, scalars[i] == "\\", scalars[i + 1] == "u" else { throw fail("unpaired surrogate", i) }
                        i += 2
                        let low = try readHex(scalars, &i, fail: fail)
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail("unpaired surrogate", i - 6) }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw fail("unpaired surrogate", i - 6) }
                    out.append(scalar)
                default:
                    throw fail("invalid escape", i - 2)
                }
            default:
                guard c.value >= 0x20 else { throw fail("control character in a string", i - 1) }
                out.append(c)
            }
        }
    }

    private static func readHex(
        _ scalars: [Unicode.Scalar],
        _ i: inout Int,
        fail: (String, Int) -> SCIMProtocolError
    ) throws(SCIMProtocolError) -> UInt32 {
        guard i + 4 <= scalars.count else { throw fail("incomplete \\u escape", i) }
        var value: UInt32 = 0
        for offset in 0..<4 {
            guard let digit = UInt32(String(scalars[i + offset]), radix: 16) else { throw fail("invalid \\u escape", i + offset) }
            value = value * 16 + digit
        }
        i += 4
        return value
    }
}
