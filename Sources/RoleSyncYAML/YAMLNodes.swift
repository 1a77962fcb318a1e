package import RoleSyncJSON
package import Yams

/// Reading Yams nodes with positions, collecting diagnostics instead of stopping at the first.
package struct YAMLNodes {
    package let file: String
    package private(set) var diagnostics: [Diagnostic] = []

    package init(file: String) {
        self.file = file
    }

    package func location(_ node: Node) -> SourceLocation {
        SourceLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
    }

    package mutating func error(_ node: Node, _ message: String) {
        diagnostics.append(Diagnostic(.error, at: location(node), message))
    }

    package mutating func warning(_ node: Node, _ message: String) {
        diagnostics.append(Diagnostic(.warning, at: location(node), message))
    }

    package mutating func report(_ diagnostic: Diagnostic) {
        diagnostics.append(diagnostic)
    }

    /// What a node is, for "found a …" in type errors.
    package static func kind(_ node: Node) -> String {
        switch node {
        case .mapping: "mapping"
        case .sequence: "list"
        case .alias: "alias"
        case .scalar: kind(of: value(node))
        }
    }

    /// What a value read from YAML is, in the same words: a `ClaimValue` object is a mapping.
    package static func kind(of value: ClaimValue) -> String {
        switch value {
        case .object: "mapping"
        default: value.typeName
        }
    }

    /// The node as a claim value. Plain scalars follow YAML 1.2's core schema: `true`/`false` are
    /// booleans, numbers are numbers, `null`/`~`/empty is null; quoted scalars are always strings.
    package static func value(_ node: Node) -> ClaimValue {
        switch node {
        case .scalar(let scalar):
            guard scalar.style == .plain || scalar.style == .any else { return .string(scalar.string) }
            return coreSchemaValue(scalar.string)
        case .sequence(let sequence):
            return .array(sequence.map(value))
        case .mapping(let mapping):
            var object: [String: ClaimValue] = [:]
            for (key, v) in mapping {
                object[key.string ?? ""] = value(v)
            }
            return .object(object)
        case .alias:
            return .null
        }
    }

    /// A plain scalar under YAML 1.2's core schema. Yams resolves YAML 1.1 forms (`yes`, `017` as
    /// octal, `12:30` as sexagesimal, `1_000`), which would turn group names into numbers.
    static func coreSchemaValue(_ text: String) -> ClaimValue {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .number(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .number(-.infinity)
        default: break
        }
        let utf8 = Array(text.utf8)
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        var i = 0
        if utf8.first == UInt8(ascii: "-") || utf8.first == UInt8(ascii: "+") { i = 1 }
        // Decimal integer: [-+]?[0-9]+
        if i < utf8.count, utf8[i...].allSatisfy(isDigit), let n = Double(text) {
            return .number(n)
        }
        // 0o17 and 0x1F.
        if text.hasPrefix("0o"), text.count > 2, let n = Int(text.dropFirst(2), radix: 8) { return .number(Double(n)) }
        if text.hasPrefix("0x"), text.count > 2, let n = Int(text.dropFirst(2), radix: 16) { return .number(Double(n)) }
        // Float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
        var j = i
        var mantissaDigits = 0
        while j < utf8.count, isDigit(utf8[j]) {
            j += 1
            mantissaDigits += 1
        }
        if j < utf8.count, utf8[j] == UInt8(ascii: ".") {
            j += 1
            while j < utf8.count, isDigit(utf8[j]) {
                j += 1
                mantissaDigits += 1
            }
        }
        if mantissaDigits > 0, j < utf8.count, utf8[j] == UInt8(ascii: "e") || utf8[j] == UInt8(ascii: "E") {
            j += 1
            if j < utf8.count, utf8[j] == UInt8(ascii: "-") || utf8[j] == UInt8(ascii: "+") { j += 1 }
            let start = j
            while j < utf8.count, isDigit(utf8[j]) { j += 1 }
            if j == start { return .string(text) }
        }
        if mantissaDigits > 0, j == utf8.count, let n = Double(text) { return .number(n) }
        return .string(text)
    }

    /// The pairs of a mapping node with string keys; reports non-string keys and keys not in
    /// `allowed` (any name goes when it is `nil`).
    package mutating func pairs(
        _ node: Node,
        of what: String,
        allowed: [String]?
    ) -> [(key: String, keyNode: Node, value: Node)] {
        guard case .mapping(let mapping) = node else { return [] }
        var out: [(String, Node, Node)] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                error(keyNode, "\(what) keys must be plain names, found a \(Self.kind(keyNode))")
                continue
            }
            let key = scalar.string
            if let allowed, !allowed.contains(key) {
                error(
                    keyNode,
                    "unknown key '\(key)' in \(what)" + Suggestion.hint(for: key, among: allowed)
                        + " (allowed: \(allowed.joined(separator: ", ")))"
                )
                continue
            }
            out.append((key, keyNode, value))
        }
        return out
    }

    package mutating func string(_ node: Node, _ what: String) -> String? {
        if case .string(let s) = Self.value(node) { return s }
        error(node, "\(what) must be a string, found a \(Self.kind(node))")
        return nil
    }

    package mutating func bool(_ node: Node, _ what: String) -> Bool? {
        if case .bool(let b) = Self.value(node) { return b }
        error(node, "\(what) must be true or false, found a \(Self.kind(node))")
        return nil
    }

    package mutating func sequence(_ node: Node, _ what: String) -> [Node]? {
        if case .sequence(let s) = node { return Array(s) }
        error(node, "\(what) must be a list, found a \(Self.kind(node))")
        return nil
    }

    package mutating func isMapping(_ node: Node, _ what: String) -> Bool {
        if case .mapping = node { return true }
        error(node, "\(what) must be a mapping, found a \(Self.kind(node))")
        return false
    }

    /// A YAML syntax error with the position Yams (libyaml) gives it.
    package static func syntaxDiagnostic(_ error: any Error, file: String) -> Diagnostic {
        func at(_ mark: Mark) -> SourceLocation { SourceLocation(file: file, line: mark.line, column: mark.column) }
        let start = SourceLocation(file: file, line: 1, column: 1)
        guard let yamlError = error as? YamlError else {
            return Diagnostic(.error, at: start, "YAML could not be read: \(error)")
        }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let what = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return Diagnostic(.error, at: at(mark), "YAML syntax error: \(problem)\(what)")
        case .reader(let problem, let offset, _, let yaml):
            var location = start
            if let offset {
                let prefix = yaml.prefix(offset)
                let line = prefix.filter { $0 == "\n" }.count + 1
                let column = prefix.split(separator: "\n", omittingEmptySubsequences: false).last.map { $0.unicodeScalars.count + 1 } ?? 1
                location = SourceLocation(file: file, line: line, column: column)
            }
            return Diagnostic(.error, at: location, "YAML could not be read: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return Diagnostic(
                .error,
                at: at(context.mark),
                "duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) in the mapping that starts here; "
                    + "each key may appear once (a second one would silently win)"
            )
        default:
            return Diagnostic(.error, at: start, "YAML could not be read: \(yamlError)")
        }
    }
}
