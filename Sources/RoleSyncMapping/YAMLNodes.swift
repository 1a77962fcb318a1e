import Yams

/// Reading Yams nodes with positions, collecting diagnostics instead of stopping at the first.
struct YAMLNodes {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String) {
        self.file = file
    }

    func location(_ node: Node) -> SourceLocation {
        SourceLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
    }

    mutating func error(_ node: Node, _ message: String) {
        diagnostics.append(Diagnostic(.error, at: location(node), message))
    }

    mutating func warning(_ node: Node, _ message: String) {
        diagnostics.append(Diagnostic(.warning, at: location(node), message))
    }

    mutating func report(_ diagnostic: Diagnostic) {
        diagnostics.append(diagnostic)
    }

    /// What a node is, for "found a …" in type errors.
    static func kind(_ node: Node) -> String {
        switch node {
        case .mapping: return "mapping"
        case .sequence: return "list"
        case .alias: return "alias"
        case .scalar:
            switch value(node) {
            case .string: return "string"
            case .number: return "number"
            case .bool: return "boolean"
            case .null: return "null"
            default: return "scalar"
            }
        }
    }

    /// The node as a claim value. Plain scalars follow YAML 1.2's core schema: `true`/`false` are
    /// booleans, numbers are numbers, `null`/`~`/empty is null; quoted scalars are always strings.
    static func value(_ node: Node) -> ClaimValue {
        switch node {
        case .scalar(let scalar):
            guard scalar.style == .plain || scalar.style == .any else { return .string(scalar.string) }
            let tag = node.tag.description
            switch tag {
            case Tag.Name.bool.rawValue:
                switch scalar.string {
                case "true", "True", "TRUE": return .bool(true)
                case "false", "False", "FALSE": return .bool(false)
                default: return .string(scalar.string)
                }
            case Tag.Name.int.rawValue:
                if let i = node.int { return .number(Double(i)) }
                return .string(scalar.string)
            case Tag.Name.float.rawValue:
                if let d = node.float { return .number(d) }
                return .string(scalar.string)
            case Tag.Name.null.rawValue:
                return .null
            default:
                return .string(scalar.string)
            }
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

    /// The pairs of a mapping node with string keys; reports non-string keys and unknown keys.
    mutating func pairs(
        _ node: Node,
        of what: String,
        allowed: [String]
    ) -> [(key: String, keyNode: Node, value: Node)] {
        guard case .mapping(let mapping) = node else { return [] }
        var out: [(String, Node, Node)] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                error(keyNode, "\(what) keys must be plain names, found a \(Self.kind(keyNode))")
                continue
            }
            let key = scalar.string
            if !allowed.contains(key) {
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

    mutating func string(_ node: Node, _ what: String) -> String? {
        if case .string(let s) = Self.value(node) { return s }
        error(node, "\(what) must be a string, found a \(Self.kind(node))")
        return nil
    }

    mutating func bool(_ node: Node, _ what: String) -> Bool? {
        if case .bool(let b) = Self.value(node) { return b }
        error(node, "\(what) must be true or false, found a \(Self.kind(node))")
        return nil
    }

    mutating func sequence(_ node: Node, _ what: String) -> [Node]? {
        if case .sequence(let s) = node { return Array(s) }
        error(node, "\(what) must be a list, found a \(Self.kind(node))")
        return nil
    }

    mutating func isMapping(_ node: Node, _ what: String) -> Bool {
        if case .mapping = node { return true }
        error(node, "\(what) must be a mapping, found a \(Self.kind(node))")
        return false
    }
}
