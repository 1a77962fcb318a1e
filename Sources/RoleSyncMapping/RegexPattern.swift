import Foundation

/// A regular expression (ICU syntax) matched against a whole value.
///
/// `NSRegularExpression` is immutable and documented as safe to share between threads.
public final class RegexPattern: @unchecked Sendable, Hashable, CustomStringConvertible {
    /// The pattern as written.
    public let source: String
    let ignoresCase: Bool
    private let regex: NSRegularExpression

    /// Compiles a pattern, anchored at both ends.
    /// - Parameters:
    ///   - source: the pattern as written.
    ///   - ignoringCase: match without regard to case.
    /// - Throws: ``SyntaxError`` with ICU's reason when the pattern does not compile.
    public init(_ source: String, ignoringCase: Bool = false) throws(SyntaxError) {
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
    }

    /// Why a pattern does not compile.
    public struct SyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// Matches a whole value.
    public func matches(_ value: String) -> Bool {
        let range = NSRange(location: 0, length: value.utf16.count)
        return regex.firstMatch(in: value, options: [], range: range) != nil
    }

    public var description: String { source }

    public static func == (lhs: RegexPattern, rhs: RegexPattern) -> Bool {
        lhs.source == rhs.source && lhs.ignoresCase == rhs.ignoresCase
    }

    public func hash(into hasher: inout Hasher) {
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
