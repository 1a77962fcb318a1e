/// A shell-style glob matched against a whole value: `*` any run, `?` one character,
/// `[abc]`, `[a-z]` and `[!x]` classes, `\` escapes the next character.
package struct GlobPattern: Sendable, Hashable, CustomStringConvertible {
    enum Token: Sendable, Hashable {
        case literal(Unicode.Scalar)
        case one
        case star
        case set(ranges: [ClosedRange<Unicode.Scalar>], negated: Bool)
    }

    /// The pattern as written.
    package let source: String
    let ignoresCase: Bool
    private let tokens: [Token]
    /// UTF-8 of the literal characters the pattern starts with (lower-cased, and ASCII only, when it
    /// ignores case): a value that does not start with them is rejected without running the matcher.
    private let literalPrefix: [UInt8]

    /// Common pattern shapes answered by a byte comparison, without the general matcher.
    private enum Shape: Sendable, Hashable {
        case general
        /// `abc`: the whole value.
        case exact([UInt8])
        /// `abc*`
        case prefix([UInt8])
        /// `*abc`
        case suffix([UInt8])
    }

    private let shape: Shape

    /// The first byte every matching value starts with (ASCII-lower-cased when ignoring case), if
    /// the pattern starts with a literal: lets a long list claim be searched by bucket.
    var firstByte: UInt8? { literalPrefix.first }

    /// Why a glob does not compile; `offset` counts characters from 0.
    package struct SyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
        package var offset: Int
        package var reason: String
        package var description: String { "\(reason) at character \(offset + 1)" }
    }

    /// Compiles a glob.
    /// - Parameters:
    ///   - source: the pattern.
    ///   - ignoringCase: match without regard to case.
    /// - Throws: ``SyntaxError`` for an unclosed or empty class, a reversed range or a trailing `\`.
    package init(_ source: String, ignoringCase: Bool = false) throws(SyntaxError) {
        self.source = source
        self.ignoresCase = ignoringCase
        let scalars = Array((ignoringCase ? source.lowercased() : source).unicodeScalars)
        var tokens: [Token] = []
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            switch c {
            case "*":
                if tokens.last != .star { tokens.append(.star) }
                i += 1
            case "?":
                tokens.append(.one)
                i += 1
            case "\\":
                guard i + 1 < scalars.count else {
                    throw SyntaxError(offset: i, reason: "a lone '\\' ends the pattern (escape it as '\\\\')")
                }
                tokens.append(.literal(scalars[i + 1]))
                i += 2
            case "[":
                let open = i
                i += 1
                var negated = false
                if i < scalars.count, scalars[i] == "!" || scalars[i] == "^" {
                    negated = true
                    i += 1
                }
                var ranges: [ClosedRange<Unicode.Scalar>] = []
                var first = true
                while i < scalars.count, scalars[i] != "]" || first {
                    var low = scalars[i]
                    if low == "]" && first {
                        // `[]` is an empty class, not a literal bracket.
                        throw SyntaxError(offset: open, reason: "empty character class '[]'")
                    }
                    first = false
                    if low == "\\", i + 1 < scalars.count {
                        i += 1
                        low = scalars[i]
                    }
                    if i + 2 < scalars.count, scalars[i + 1] == "-", scalars[i + 2] != "]" {
                        let high = scalars[i + 2]
                        guard low <= high else {
                            throw SyntaxError(offset: i, reason: "reversed range '\(low)-\(high)' in character class")
                        }
                        ranges.append(low...high)
                        i += 3
                    } else {
                        ranges.append(low...low)
                        i += 1
                    }
                }
                guard i < scalars.count else {
                    throw SyntaxError(offset: open, reason: "unclosed '[' (a character class needs a closing ']')")
                }
                i += 1
                tokens.append(.set(ranges: ranges, negated: negated))
            default:
                tokens.append(.literal(c))
                i += 1
            }
        }
        self.tokens = tokens
        var prefix: [UInt8] = []
        for token in tokens {
            guard case .literal(let c) = token, !ignoringCase || c.isASCII else { break }
            prefix += Array(String(c).utf8)
        }
        self.literalPrefix = prefix
        self.shape = Self.shape(of: tokens, ignoringCase: ignoringCase)
    }

    private static func shape(of tokens: [Token], ignoringCase: Bool) -> Shape {
        func literalBytes(_ slice: ArraySlice<Token>) -> [UInt8]? {
            var bytes: [UInt8] = []
            for token in slice {
                // Folding is byte-wise, so only ASCII literals take a fast path when ignoring case.
                guard case .literal(let c) = token, !ignoringCase || c.isASCII else { return nil }
                bytes += Array(String(c).utf8)
            }
            return bytes
        }
        let stars = tokens.indices.filter { tokens[$0] == .star }
        switch stars {
        case []:
            return literalBytes(tokens[...]).map(Shape.exact) ?? .general
        case [tokens.count - 1]:
            return literalBytes(tokens.dropLast()).map(Shape.prefix) ?? .general
        case [0]:
            return literalBytes(tokens.dropFirst()).map(Shape.suffix) ?? .general
        default:
            return .general
        }
    }

    /// Compares bytes, folding ASCII upper case in the value when the glob ignores case; `nil` when a
    /// non-ASCII byte would need real case folding.
    private func bytesEqual(_ value: some Collection<UInt8>, _ literal: [UInt8]) -> Bool? {
        guard value.count == literal.count else { return false }
        for (byte, expected) in zip(value, literal) {
            var b = byte
            if ignoresCase {
                if b >= 0x80 { return nil }
                if b >= 0x41 && b <= 0x5A { b += 0x20 }
            }
            if b != expected { return false }
        }
        return true
    }

    package var description: String { source }

    /// Matches a whole value.
    /// - Parameter value: the value; compared without regard to case when the glob ignores case.
    /// - Returns: whether the glob matches all of it.
    package func matches(_ value: String) -> Bool {
        let utf8 = value.utf8
        switch shape {
        case .general:
            break
        case .exact(let literal):
            if let equal = bytesEqual(utf8, literal) { return equal }
        case .prefix(let literal):
            guard utf8.count >= literal.count else { return false }
            if let equal = bytesEqual(utf8.prefix(literal.count), literal) { return equal }
        case .suffix(let literal):
            guard utf8.count >= literal.count else { return false }
            // A suffix must start on a character boundary: it does when the literal is ASCII-led or
            // the byte before it is ASCII; otherwise let the matcher decide.
            if literal.first.map({ $0 < 0x80 }) ?? true, let equal = bytesEqual(utf8.suffix(literal.count), literal) {
                return equal
            }
        }
        if !literalPrefix.isEmpty, !value.mayStart(with: literalPrefix, foldingASCII: ignoresCase) { return false }
        guard ignoresCase else { return match(value.unicodeScalars, foldingASCII: false) }
        if value.utf8.allSatisfy({ $0 < 0x80 }) {
            return match(value.unicodeScalars, foldingASCII: true)
        }
        return match(value.lowercased().unicodeScalars, foldingASCII: false)
    }

    private func match(_ view: String.UnicodeScalarView, foldingASCII: Bool) -> Bool {
        @inline(__always) func at(_ i: String.UnicodeScalarView.Index) -> Unicode.Scalar {
            let c = view[i]
            guard foldingASCII, c.value >= 0x41, c.value <= 0x5A, let lower = Unicode.Scalar(c.value + 0x20) else { return c }
            return lower
        }
        var s = view.startIndex
        var p = 0
        var starToken = -1
        var starResume = view.startIndex
        while s != view.endIndex {
            if p < tokens.count {
                switch tokens[p] {
                case .star:
                    starToken = p
                    starResume = s
                    p += 1
                    continue
                case .one:
                    s = view.index(after: s)
                    p += 1
                    continue
                case .literal(let c) where c == at(s):
                    s = view.index(after: s)
                    p += 1
                    continue
                case .set(let ranges, let negated) where ranges.contains { $0.contains(at(s)) } != negated:
                    s = view.index(after: s)
                    p += 1
                    continue
                default:
                    break
                }
            }
            guard starToken >= 0 else { return false }
            p = starToken + 1
            starResume = view.index(after: starResume)
            s = starResume
        }
        while p < tokens.count, tokens[p] == .star { p += 1 }
        return p == tokens.count
    }
}

extension String {
    /// Whether the value may start with `prefix` (UTF-8, ASCII-lower-cased when folding): `false`
    /// only when it certainly does not. Folding stops at the first non-ASCII byte, whose case
    /// folding only the full matcher knows (the Kelvin sign folds to "k").
    func mayStart(with prefix: [UInt8], foldingASCII: Bool) -> Bool {
        var bytes = utf8.makeIterator()
        for expected in prefix {
            guard var byte = bytes.next() else { return false }
            if foldingASCII {
                if byte >= 0x80 { return true }
                if byte >= 0x41 && byte <= 0x5A { byte += 0x20 }
            }
            if byte != expected { return false }
        }
        return true
    }
}
