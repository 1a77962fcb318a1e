import Foundation
import RoleSyncJSON

extension RegexPattern {
    /// The longest value, in UTF-16 code units, that a regex is run on. A longer value never
    /// matches a `regex` condition (the trace says why). No group name, email, UPN or department
    /// comes near it; the cap bounds the work a pattern that slips past
    /// ``backtrackingHazard(in:)`` can do on a hostile profile field.
    package static let maximumValueLength = 1024

    /// A place in a pattern where a backtracking engine (ICU's, as every mainstream one) can take
    /// time exponential in the length of the value: a repeated group whose body can split the same
    /// text in several ways. `(a+)+b` on forty `a`s takes over a second.
    package struct BacktrackingHazard: Sendable, Hashable, CustomStringConvertible {
        /// Where the repeated group starts in the pattern, in characters from 0.
        package var offset: Int
        /// The repeated group, as written (`(a+)+`).
        package var group: String
        /// What inside it makes the repetition ambiguous (`a+`, or two alternatives).
        package var cause: String
        /// How to write it safely.
        package var suggestion: String

        package var description: String {
            "catastrophic backtracking: the repeated group \(ClaimValue.quoted(group)) at character \(offset + 1) "
                + "\(cause), so a non-matching value can take time exponential in its length; \(suggestion)"
        }
    }

    /// The first place in `source` where nested or overlapping repetition makes backtracking
    /// explode, or `nil`.
    ///
    /// It flags a group repeated more than once (`+`, `*`, `{2,}`) that is neither atomic
    /// (`(?>…)`) nor possessive (`++`) when its body holds a repetition of varying count (`a+`,
    /// `b?`, `c{1,3}`), unless every such repetition is a single-character item that cannot match
    /// a mandatory literal of the same alternative (`([a-z]+\.)+`: each round ends at a dot), or
    /// when two of its alternatives may start with the same character (`(a|ab)+`, `(\w|-)+`).
    /// It is a static check: it errs on the side of refusing, and each refusal names a rewrite.
    package static func backtrackingHazard(in source: String) -> BacktrackingHazard? {
        var parser = PatternParser(Array(source))
        let sequence = parser.parseAlternatives()
        return hazard(in: sequence, source: Array(source))
    }

    // MARK: Analysis

    private static func hazard(in alternatives: [[PatternItem]], source: [Character]) -> BacktrackingHazard? {
        for alternative in alternatives {
            for item in alternative {
                guard case .group(let body, let isAtomic, _) = item.piece else { continue }
                if let quantifier = item.quantifier, quantifier.repeats, !quantifier.isPossessive, !isAtomic {
                    let text = String(source[item.range])
                    if let inner = ambiguousRepetition(in: body, source: source) {
                        return BacktrackingHazard(
                            offset: item.range.lowerBound,
                            group: text,
                            cause: "contains the repetition \(ClaimValue.quoted(inner))",
                            suggestion: "make the inner repetition possessive (\(ClaimValue.quoted(inner + "+"))) or the group atomic "
                                + "(\(ClaimValue.quoted("(?>" + String(text.dropFirst())))), or drop one of the two repetitions"
                        )
                    }
                    if let (first, second) = overlappingAlternatives(body, source: source) {
                        return BacktrackingHazard(
                            offset: item.range.lowerBound,
                            group: text,
                            cause: "has alternatives \(ClaimValue.quoted(first)) and \(ClaimValue.quoted(second)) that can start alike",
                            suggestion: "make the group atomic (\(ClaimValue.quoted("(?>" + String(text.dropFirst())))) or the "
                                + "alternatives start with different characters"
                        )
                    }
                }
                if !isAtomic, let found = hazard(in: body, source: source) { return found }
            }
        }
        return nil
    }

    /// The text of a repetition of varying count inside `body` that makes repeating `body`
    /// ambiguous, if any (atomic groups and possessive repetitions are safe).
    private static func ambiguousRepetition(in body: [[PatternItem]], source: [Character]) -> String? {
        for alternative in body {
            let separators = alternative.compactMap { $0.quantifier == nil ? $0.literal : nil }
            for item in alternative {
                if let quantifier = item.quantifier, quantifier.varies, !quantifier.isPossessive {
                    let text = String(source[item.range])
                    guard case .atom(let atom) = item.piece,
                        let matcher = try? NSRegularExpression(pattern: "\\A(?:" + atom + ")\\z"),
                        separators.contains(where: { separator in
                            let value = String(separator)
                            return matcher.firstMatch(in: value, range: NSRange(location: 0, length: value.utf16.count)) == nil
                        })
                    else { return text }
                }
                if case .group(let inner, let isAtomic, _) = item.piece, !isAtomic, item.quantifier?.isPossessive != true,
                    let found = ambiguousRepetition(in: inner, source: source)
                {
                    return found
                }
            }
        }
        return nil
    }

    /// Whether two alternatives' first items may match the same character: two literals that are
    /// equal, a single-character atom that matches the other's literal, or anything else (two
    /// classes, a group) since that is not worth proving disjoint.
    private static func mayStartAlike(_ a: PatternItem?, _ b: PatternItem?) -> Bool {
        guard let a, let b else { return true }
        switch (a.literal, b.literal) {
        case (let x?, let y?): return x == y
        case (let x?, nil): return matches(b, x)
        case (nil, let y?): return matches(a, y)
        case (nil, nil): return true
        }
    }

    /// Whether an atom may match a character (a group: assumed yes).
    private static func matches(_ item: PatternItem, _ character: Character) -> Bool {
        guard case .atom(let atom) = item.piece, let matcher = try? NSRegularExpression(pattern: "\\A(?:" + atom + ")\\z") else {
            return true
        }
        let value = String(character)
        return matcher.firstMatch(in: value, range: NSRange(location: 0, length: value.utf16.count)) != nil
    }

    /// Two alternatives that may begin with the same character: literal first characters that are
    /// equal, or a first item that is not a plain literal (a class, `.`, an escape, a group).
    private static func overlappingAlternatives(_ body: [[PatternItem]], source: [Character]) -> (String, String)? {
        guard body.count > 1 else { return nil }
        var seen: [(PatternItem?, String)] = []
        for alternative in body {
            let text =
                alternative.isEmpty ? "" : String(source[alternative[0].range.lowerBound..<alternative[alternative.count - 1].range.upperBound])
            let first = alternative.first
            for (other, otherText) in seen where mayStartAlike(first, other) {
                return (otherText, text)
            }
            seen.append((first, text))
        }
        return nil
    }
}

/// How often an item repeats.
struct PatternQuantifier {
    var minimum: Int
    /// `nil`: unbounded.
    var maximum: Int?
    var isPossessive: Bool

    /// More than once: the item's matches can be split between rounds.
    var repeats: Bool { maximum.map { $0 > 1 } ?? true }
    /// A varying count: the same text can be matched by more or fewer rounds.
    var varies: Bool { maximum != minimum }
}

/// One item of a pattern: an atom or a group, with its quantifier.
struct PatternItem {
    enum Piece {
        /// One character's matcher as written (`a`, `\.`, `[a-z]`, `.`), or a zero-width assertion.
        case atom(String)
        /// A group's alternatives; lookarounds count as atomic (they never give back).
        case group([[PatternItem]], isAtomic: Bool, opening: String)
    }

    var piece: Piece
    var quantifier: PatternQuantifier?
    /// The item in the pattern, quantifier included.
    var range: Range<Int>

    /// The character a plain literal atom matches (`a`, `\.`), if this is one.
    var literal: Character? {
        guard case .atom(let text) = piece else { return nil }
        let characters = Array(text)
        if characters.count == 1, !".^$".contains(characters[0]) { return characters[0] }
        if characters.count == 2, characters[0] == "\\", !characters[1].isLetter, !characters[1].isNumber { return characters[1] }
        return nil
    }
}

/// A recursive-descent reading of an ICU pattern, only as deep as the hazard check needs:
/// atoms, classes, escapes, groups of every kind, alternation and quantifiers. It never fails: the
/// pattern has already compiled.
struct PatternParser {
    let characters: [Character]
    var index = 0

    init(_ characters: [Character]) { self.characters = characters }

    mutating func parseAlternatives() -> [[PatternItem]] {
        var alternatives: [[PatternItem]] = [[]]
        while index < characters.count {
            let c = characters[index]
            if c == ")" { break }
            if c == "|" {
                index += 1
                alternatives.append([])
                continue
            }
            let start = index
            guard let piece = parsePiece() else { continue }
            let quantifier = parseQuantifier()
            alternatives[alternatives.count - 1].append(PatternItem(piece: piece, quantifier: quantifier, range: start..<index))
        }
        return alternatives
    }

    private mutating func parsePiece() -> PatternItem.Piece? {
        let start = index
        switch characters[index] {
        case "\\":
            index += 1
            guard index < characters.count else { return .atom("\\") }
            let kind = characters[index]
            index += 1
            if kind == "Q" {
                // \Q…\E quotes literally: one atom per character would be exact; one is enough here.
                while index < characters.count, !(characters[index] == "\\" && index + 1 < characters.count && characters[index + 1] == "E") {
                    index += 1
                }
                index = min(index + 2, characters.count)
            } else if "pPxN".contains(kind), index < characters.count, characters[index] == "{" {
                while index < characters.count, characters[index] != "}" { index += 1 }
                index = min(index + 1, characters.count)
            }
            return .atom(String(characters[start..<index]))
        case "[":
            skipClass()
            return .atom(String(characters[start..<index]))
        case "(":
            index += 1
            var isAtomic = false
            if index < characters.count, characters[index] == "?" {
                index += 1
                let next = index < characters.count ? characters[index] : ")"
                switch next {
                case ">", "=", "!":
                    isAtomic = true
                    index += 1
                case "<" where index + 1 < characters.count && "=!".contains(characters[index + 1]):
                    isAtomic = true
                    index += 2
                case "<":
                    while index < characters.count, characters[index] != ">" { index += 1 }
                    index += 1
                case "#":
                    while index < characters.count, characters[index] != ")" { index += 1 }
                    index += 1
                    return nil
                default:
                    // Flags: `(?i)` stands alone, `(?i:…)` opens a group.
                    while index < characters.count, characters[index] != ":", characters[index] != ")" { index += 1 }
                    if index < characters.count, characters[index] == ")" {
                        index += 1
                        return nil
                    }
                    index += 1
                }
            }
            let opening = String(characters[start..<min(index, characters.count)])
            let body = parseAlternatives()
            if index < characters.count { index += 1 }  // ")"
            return .group(body, isAtomic: isAtomic, opening: opening)
        default:
            index += 1
            return .atom(String(characters[start..<index]))
        }
    }

    /// Past a bracket class, nested classes and escapes included.
    private mutating func skipClass() {
        var depth = 0
        var first = true
        while index < characters.count {
            let c = characters[index]
            if c == "\\" {
                index += 2
                first = false
                continue
            }
            if c == "[" {
                depth += 1
                index += 1
                if index < characters.count, characters[index] == "^" { index += 1 }
                first = true
                continue
            }
            if c == "]", !first {
                depth -= 1
                index += 1
                if depth == 0 { return }
                continue
            }
            first = false
            index += 1
        }
        index = min(index, characters.count)
    }

    private mutating func parseQuantifier() -> PatternQuantifier? {
        guard index < characters.count else { return nil }
        var quantifier: PatternQuantifier
        switch characters[index] {
        case "*": quantifier = PatternQuantifier(minimum: 0, maximum: nil, isPossessive: false)
        case "+": quantifier = PatternQuantifier(minimum: 1, maximum: nil, isPossessive: false)
        case "?": quantifier = PatternQuantifier(minimum: 0, maximum: 1, isPossessive: false)
        case "{":
            guard let close = characters[index...].firstIndex(of: "}") else { return nil }
            let parts = String(characters[(index + 1)..<close]).split(separator: ",", omittingEmptySubsequences: false)
            guard let low = parts.first.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) else { return nil }
            let high: Int? =
                parts.count == 1 ? low : Int(parts[1].trimmingCharacters(in: .whitespaces))
            quantifier = PatternQuantifier(minimum: low, maximum: high, isPossessive: false)
            index = close
        default: return nil
        }
        index += 1
        if index < characters.count, characters[index] == "+" {
            quantifier.isPossessive = true
            index += 1
        } else if index < characters.count, characters[index] == "?" {
            index += 1
        }
        return quantifier
    }
}
