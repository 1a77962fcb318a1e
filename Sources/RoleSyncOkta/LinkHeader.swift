package import Foundation

/// The targets of an HTTP `Link` field (RFC 8288) by relation type: Okta pages its lists with
/// `Link: <https://example.okta.com/api/v1/users?after=…&limit=200>; rel="next"`.
///
/// Read strictly and without trusting the text: a link is `<URI-reference>` followed by
/// `; name=value` or `; name="quoted value"` parameters; links are separated by commas outside the
/// brackets and quotes. Anything else in a link makes that link count for nothing (never a guess
/// at where the next page is); the others still count.
package enum LinkHeader {
    /// The target whose `rel` (one of its space-separated types, compared ignoring case) is
    /// `relation`, resolved against `base`; `nil` when none or more than one link has it.
    package static func target(_ field: String, relation: String, base: URL) -> URL? {
        let matching = links(field).filter { link in
            link.relations.contains { $0.caseInsensitiveCompare(relation) == .orderedSame }
        }
        guard matching.count == 1 else { return nil }
        return URL(string: matching[0].target, relativeTo: base)?.absoluteURL
    }

    /// One link as written: its target (not yet resolved) and its relation types.
    package struct Link: Equatable, Sendable {
        package var target: String
        package var relations: [String]

        package init(target: String, relations: [String]) {
            self.target = target
            self.relations = relations
        }
    }

    /// Every well-formed link of the field, in order.
    package static func links(_ field: String) -> [Link] {
        var links: [Link] = []
        var scanner = Substring(field)
        while true {
            scanner = scanner.drop { $0 == " " || $0 == "\t" || $0 == "," }
            guard !scanner.isEmpty else { return links }
            let (link, rest) = parse(scanner)
            if let link { links.append(link) }
            scanner = rest
        }
    }

    /// One link from the start of `text`, and what follows its end (the next comma outside
    /// brackets and quotes). `nil` for a malformed link, which is skipped whole.
    private static func parse(_ text: Substring) -> (Link?, Substring) {
        guard text.first == "<", let close = text.firstIndex(of: ">") else { return (nil, skipLink(text)) }
        let target = String(text[text.index(after: text.startIndex)..<close])
        guard !target.isEmpty, !target.contains(where: { $0 == "<" || $0 == " " || $0 == "\"" || $0.isNewline }) else {
            return (nil, skipLink(text[close...]))
        }
        var rest = text[text.index(after: close)...]
        var relations: [String]?
        var wellFormed = true
        while true {
            rest = rest.drop { $0 == " " || $0 == "\t" }
            guard let next = rest.first, next != "," else { break }
            guard next == ";" else {
                wellFormed = false
                break
            }
            rest = rest.dropFirst().drop { $0 == " " || $0 == "\t" }
            let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "*" || $0 == "." }
            guard !name.isEmpty else {
                wellFormed = false
                break
            }
            rest = rest[name.endIndex...].drop { $0 == " " || $0 == "\t" }
            var value = ""
            if rest.first == "=" {
                rest = rest.dropFirst().drop { $0 == " " || $0 == "\t" }
                if rest.first == "\"" {
                    guard let (quoted, after) = quotedString(rest) else { return (nil, Substring()) }
                    value = quoted
                    rest = after
                } else {
                    let token = rest.prefix { $0 != ";" && $0 != "," && $0 != " " && $0 != "\t" }
                    value = String(token)
                    rest = rest[token.endIndex...]
                }
            }
            // RFC 8288 §3.3: only the first `rel` counts.
            if name.lowercased() == "rel", relations == nil {
                relations = value.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            }
        }
        guard wellFormed else { return (nil, skipLink(rest)) }
        return (Link(target: target, relations: relations ?? []), rest)
    }

    /// A quoted string (with `\` escapes) at the start of `text`, and what follows it.
    private static func quotedString(_ text: Substring) -> (String, Substring)? {
        var value = ""
        var index = text.index(after: text.startIndex)
        while index < text.endIndex {
            let character = text[index]
            if character == "\"" { return (value, text[text.index(after: index)...]) }
            if character == "\\" {
                index = text.index(after: index)
                guard index < text.endIndex else { return nil }
            }
            value.append(text[index])
            index = text.index(after: index)
        }
        return nil
    }

    /// Past the rest of a malformed link: to the next comma outside quotes.
    private static func skipLink(_ text: Substring) -> Substring {
        var inQuotes = false
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character == "\"" { inQuotes.toggle() }
            if character == ",", !inQuotes { return text[index...] }
            index = text.index(after: index)
        }
        return Substring()
    }
}
