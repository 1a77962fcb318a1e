import Foundation

/// A regular expression (ICU syntax) matched against a whole value.
///
/// `NSRegularExpression` is immutable and documented as safe to share between threads.
package final class RegexPattern: @unchecked Sendable, Hashable, CustomStringConvertible {
    /// The pattern as written.
    package let source: String
    let ignoresCase: Bool
    private let regex: NSRegularExpression
    /// The same pattern ignoring case, for traces' near misses (compiled once, not per trace).
    private let foldedRegex: NSRegularExpression?
    /// UTF-8 of literal characters every match starts with (ASCII-lower-cased when ignoring case):
    /// a value without them is rejected before ICU runs, which costs about a microsecond.
    private let literalPrefix: [UInt8]

    /// Compiles a pattern, anchored at both ends.
    /// - Parameters:
    ///   - source: the pattern as written.
    ///   - ignoringCase: match without regard to case.
    /// - Throws: ``SyntaxError`` with ICU's reason when the pattern does not compile.
    package init(_ source: String, ignoringCase: Bool = false) throws(SyntaxError) {
        self.source = source
        self.ignoresCase = ignoringCase
        do {
            // Alone first: a pattern such as `a)|(b` compiles once wrapped but is not what was written.
            _ = try NSRegularExpression(pattern: source)
            regex = try NSRegularExpression(
                pattern: "\\A(?:" + source + ")\\z",
                options: ignoringCase ? [.caseInsensitive] : []
            )
        } catch {
            throw SyntaxError(reason: Self.reason(source))
        }
        foldedRegex = ignoringCase ? nil : try? NSRegularExpression(pattern: "\\A(?:" + source + ")\\z", options: [.caseInsensitive])
        literalPrefix = Self.literalPrefix(of: source, ignoringCase: ignoringCase)
    }

    /// The literal start of a pattern: characters up to the first metacharacter, minus a last
    /// character that a quantifier follows. None when the pattern has an alternation outside
    /// brackets (`a|b`), since then no prefix is mandatory.
    static func literalPrefix(of source: String, ignoringCase: Bool) -> [UInt8] {
        var depth = 0
        var inClass = false
        var escaped = false
        for c in source.unicodeScalars {
            if escaped {
                escaped = false
                continue
            }
            switch c {
            case "\\": escaped = true
            case "[": inClass = true
            case "]": inClass = false
            case "(" where !inClass: depth += 1
            case ")" where !inClass: depth -= 1
            case "|" where !inClass && depth == 0: return []
            default: break
            }
        }
        let meta: Set<Unicode.Scalar> = ["\\", "^", "$", ".", "|", "?", "*", "+", "(", ")", "[", "]", "{", "}"]
        var prefix: [Unicode.Scalar] = []
        var rest = source.unicodeScalars[...]
        while let c = rest.first, !meta.contains(c) {
            prefix.append(c)
            rest = rest.dropFirst()
        }
        if let next = rest.first, ["?", "*", "{"].contains(next), !prefix.isEmpty { prefix.removeLast() }
        if ignoringCase {
            if let firstNonASCII = prefix.firstIndex(where: { !$0.isASCII }) { prefix = Array(prefix[..<firstNonASCII]) }
            prefix = prefix.map { $0.value >= 0x41 && $0.value <= 0x5A ? Unicode.Scalar($0.value + 0x20) ?? $0 : $0 }
        }
        var bytes: [UInt8] = []
        for c in prefix { bytes += Array(String(c).utf8) }
        return bytes
    }

    /// Why a pattern does not compile.
    package struct SyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
        package var reason: String
        package var description: String { reason }
    }

    /// Matches a whole value. A value longer than ``maximumValueLength`` never matches.
    package func matches(_ value: String) -> Bool {
        guard value.utf16.count <= Self.maximumValueLength else { return false }
        if !literalPrefix.isEmpty, !value.mayStart(with: literalPrefix, foldingASCII: ignoresCase) { return false }
        let range = NSRange(location: 0, length: value.utf16.count)
        return regex.firstMatch(in: value, options: [], range: range) != nil
    }

    /// Whether the pattern matches the value ignoring case (for near misses; no prefix check).
    func matchesIgnoringCase(_ value: String) -> Bool {
        guard value.utf16.count <= Self.maximumValueLength else { return false }
        let range = NSRange(location: 0, length: value.utf16.count)
        return (foldedRegex ?? regex).firstMatch(in: value, options: [], range: range) != nil
    }

    package var description: String { source }

    package static func == (lhs: RegexPattern, rhs: RegexPattern) -> Bool {
        lhs.source == rhs.source && lhs.ignoresCase == rhs.ignoresCase
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(source)
        hasher.combine(ignoresCase)
    }

    /// ICU says only that a pattern is invalid; Swift's own regex parser says why, in most cases.
    private static func reason(_ source: String) -> String {
        do {
            _ = try Regex(source)
        } catch {
            return "\(error)"
        }
        return "ICU cannot compile it"
    }
}
