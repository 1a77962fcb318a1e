import Foundation
import RoleSyncJSON
package import RoleSyncYAML
import Yams

/// Reads a mapping document (version 1) strictly: every problem is reported with its file, line and
/// column, all of them in one pass, not just the first.
package enum MappingParser {
    /// The outcome of parsing one file.
    package struct Result: Sendable {
        /// The mapping, when the file has no errors (warnings allowed).
        package var mapping: Mapping?
        /// Errors and warnings in file order.
        package var diagnostics: [Diagnostic]
    }

    static let rootKeys = ["version", "issuer", "profile", "require", "deactivate", "roles", "unmatched", "tests"]
    static let ruleKeys = ["id", "role", "when"]
    static let operatorNames = ["equals", "in", "contains", "glob", "regex", "exists"]
    static let combinatorNames = ["any", "all", "not"]
    static let predicateKeys = ["claim"] + operatorNames + ["ignore_case"]
    static let testKeys = ["name", "claims", "expect"]
    static let expectKeys = ["allowed", "role", "rule", "covered", "deactivate", "profile", "unknown_claims"]

    /// Parses and validates one mapping file.
    /// - Parameters:
    ///   - yaml: the file's text.
    ///   - file: the name to put in diagnostics and decisions (usually the path as given).
    /// - Returns: the mapping (when there is no error) and every diagnostic.
    package static func parse(yaml: String, file: String) -> Result {
        var reader = YAMLNodes(file: file)
        let root: Node
        do {
            // The basic resolver tags nothing: plain scalars are typed by YAML 1.2's core schema in
            // `YAMLNodes.value`, and Yams' YAML 1.1 resolver runs seven regexes per scalar.
            guard let node = try Yams.compose(yaml: yaml, Resolver.basic) else {
                reader.report(
                    Diagnostic(
                        .error,
                        at: SourceLocation(file: file, line: 1, column: 1),
                        "the file is empty; a mapping needs at least version, issuer and roles"
                    )
                )
                return Result(mapping: nil, diagnostics: reader.diagnostics)
            }
            root = node
        } catch {
            reader.report(YAMLNodes.syntaxDiagnostic(error, file: file))
            return Result(mapping: nil, diagnostics: reader.diagnostics)
        }
        var builder = MappingBuilder(reader: reader)
        let mapping = builder.build(root)
        let diagnostics = builder.reader.diagnostics.sorted { $0.location < $1.location }
        return Result(mapping: diagnostics.containsErrors ? nil : mapping, diagnostics: diagnostics)
    }
}

/// Builds a ``Mapping`` from a YAML tree, reporting as it goes.
struct MappingBuilder {
    var reader: YAMLNodes
    private var pathSlots: [String: Int] = [:]
    private var index = MembershipIndex.Builder()

    init(reader: YAMLNodes) {
        self.reader = reader
    }

    mutating func build(_ root: Node) -> Mapping? {
        guard reader.isMapping(root, "a mapping file's top level") else { return nil }
        var version: Int?
        var issuer: String?
        var issuerLocation = reader.location(root)
        var profile = ProfileSpec.defaults
        var require: [Condition] = []
        var deactivate: [Condition] = []
        var roles: [RoleRule] = []
        var rolesNode: Node?
        var unmatched = UnmatchedPolicy.manual
        var testNodes: [Node] = []
        var seen = Set<String>()

        for (key, keyNode, value) in reader.pairs(root, of: "the mapping", allowed: MappingParser.rootKeys) {
            seen.insert(key)
            switch key {
            case "version":
                if case .number(let n) = YAMLNodes.value(value), n.rounded() == n {
                    if n == 1 {
                        version = 1
                    } else {
                        reader.error(value, "unsupported version \(ClaimValue.number(n).jsonText); this RoleSync reads mapping version 1")
                    }
                } else {
                    reader.error(value, "version must be the number 1, found a \(YAMLNodes.kind(value))")
                }
            case "issuer":
                if let s = reader.string(value, "issuer") {
                    if let url = URL(string: s), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
                        url.host?.isEmpty == false
                    {
                        issuer = s
                        issuerLocation = reader.location(value)
                    } else {
                        reader.error(
                            value,
                            "issuer must be the IdP's absolute http(s) URL, exactly as its ID tokens' 'iss' carries it; found \"\(s)\""
                        )
                    }
                }
            case "profile":
                profile = buildProfile(value)
            case "require":
                require = conditionList(value, "require")
            case "deactivate":
                deactivate = conditionList(value, "deactivate")
            case "roles":
                rolesNode = value
                roles = buildRoles(value)
            case "unmatched":
                if let s = reader.string(value, "unmatched") {
                    if let policy = UnmatchedPolicy(rawValue: s) {
                        unmatched = policy
                    } else {
                        reader.error(
                            value,
                            "unmatched must be 'manual' or 'deny', found '\(s)'"
                                + Suggestion.hint(for: s, among: UnmatchedPolicy.allCases.map(\.rawValue))
                        )
                    }
                }
            case "tests":
                testNodes = reader.sequence(value, "tests") ?? []
            default:
                reader.error(keyNode, "unknown key '\(key)'")
            }
        }
        for required in ["version", "issuer", "roles"] where !seen.contains(required) {
            reader.error(root, "missing required key '\(required)'")
        }
        if let rolesNode, case .sequence(let s) = rolesNode, s.isEmpty {
            reader.error(rolesNode, "roles is empty; a mapping needs at least one role rule")
        }

        analyse(require: require, deactivate: deactivate, roles: roles)
        let tests = testNodes.compactMap { buildTest($0, ruleIDs: roles.map(\.id)) }

        guard version != nil, let issuer else { return nil }
        return Mapping(
            file: reader.file,
            issuer: issuer,
            issuerLocation: issuerLocation,
            profile: profile,
            require: require,
            deactivate: deactivate,
            roles: roles,
            unmatched: unmatched,
            tests: tests,
            index: index.build()
        )
    }

    // MARK: Profile

    private mutating func buildProfile(_ node: Node) -> ProfileSpec {
        var spec = ProfileSpec.defaults
        guard reader.isMapping(node, "profile") else { return spec }
        for (key, _, value) in reader.pairs(node, of: "profile", allowed: ProfileSpec.attributeNames) {
            var paths: [ClaimPath] = []
            if case .sequence(let items) = value {
                if items.isEmpty { reader.error(value, "profile.\(key) lists no claim; give at least one claim path") }
                for item in items {
                    if let path = claimPath(item, "profile.\(key)") { paths.append(path) }
                }
            } else if let path = claimPath(value, "profile.\(key)") {
                paths = [path]
            }
            switch key {
            case "email": spec.email = paths
            case "name": spec.name = paths
            default: spec.organizationUnit = paths
            }
        }
        return spec
    }

    private mutating func claimPath(_ node: Node, _ what: String) -> ClaimPath? {
        guard let raw = reader.string(node, what) else { return nil }
        guard let path = ClaimPath(raw) else {
            reader.error(node, "\(what): '\(raw)' is not a claim path (no empty segments, no surrounding spaces; e.g. realm_access.roles)")
            return nil
        }
        return path
    }

    // MARK: Conditions

    private mutating func conditionList(_ node: Node, _ what: String) -> [Condition] {
        guard let items = reader.sequence(node, what) else { return [] }
        return items.enumerated().compactMap { i, item in condition(item, "\(what)[\(i + 1)]") }
    }

    private mutating func condition(_ node: Node, _ what: String) -> Condition? {
        guard reader.isMapping(node, "a condition (\(what))"), case .mapping(let mapping) = node else { return nil }
        let keys = mapping.keys.compactMap(\.string)
        if let combinator = MappingParser.combinatorNames.first(where: keys.contains) {
            let allowed = [combinator]
            let pairs = reader.pairs(node, of: "a '\(combinator)' condition (it takes no other key)", allowed: allowed)
            guard pairs.count == mapping.count, let value = pairs.first?.value else { return nil }
            let at = reader.location(node)
            switch combinator {
            case "not":
                guard let inner = condition(value, "\(what).not") else { return nil }
                return .not(inner, at: at)
            default:
                guard let items = reader.sequence(value, "\(what).\(combinator)") else { return nil }
                let children = items.enumerated().compactMap { i, item in
                    condition(item, "\(what).\(combinator)[\(i + 1)]")
                }
                guard children.count == items.count else { return nil }
                return combinator == "any" ? .any(children, at: at) : .all(children, at: at)
            }
        }
        return predicate(node, what)
    }

    private mutating func predicate(_ node: Node, _ what: String) -> Condition? {
        let pairs = reader.pairs(
            node,
            of: "a condition",
            allowed: MappingParser.predicateKeys + MappingParser.combinatorNames
        )
        var path: ClaimPath?
        var ignoreCase = false
        var operators: [(name: String, keyNode: Node, value: Node)] = []
        var sawClaim = false
        var failed = pairs.count != (node.mapping?.count ?? 0)
        for (key, keyNode, value) in pairs {
            switch key {
            case "claim":
                sawClaim = true
                path = claimPath(value, "claim")
                if path == nil { failed = true }
            case "ignore_case":
                if let b = reader.bool(value, "ignore_case") { ignoreCase = b } else { failed = true }
            default:
                operators.append((key, keyNode, value))
            }
        }
        if !sawClaim {
            reader.error(node, "a condition needs 'claim' (the claim path to test), or one of any, all, not")
            failed = true
        }
        guard let op = operators.first else {
            if sawClaim, !failed {
                reader.error(
                    node,
                    "the condition on '\(path?.raw ?? "?")' has no operator; use one of "
                        + MappingParser.operatorNames.joined(separator: ", ")
                )
            }
            return nil
        }
        if operators.count > 1 {
            reader.error(
                operators[1].keyNode,
                "a condition takes one operator, found '\(op.name)' and '\(operators[1].name)'; combine conditions with all or any"
            )
            return nil
        }
        let location = reader.location(node)
        guard let compiled = compileOperator(op.name, op.value, ignoreCase: ignoreCase) else { return nil }
        if ignoreCase, case .exists = compiled {
            reader.warning(node, "ignore_case has no effect with exists")
        }
        guard !failed, let path else { return nil }
        let slot = pathSlots[path.raw] ?? index.addPath()
        pathSlots[path.raw] = slot
        let id = index.register(op: compiled, ignoresCase: ignoreCase, slot: slot)
        return .predicate(Predicate(path: path, op: compiled, ignoresCase: ignoreCase, location: location, slot: slot, id: id))
    }

    private mutating func compileOperator(_ name: String, _ node: Node, ignoreCase: Bool) -> Predicate.Operator? {
        switch name {
        case "equals", "contains":
            guard let v = scalarOperand(node, name) else { return nil }
            return name == "equals" ? .equals(v) : .contains(v)
        case "in":
            guard let items = reader.sequence(node, "in") else { return nil }
            if items.isEmpty { reader.warning(node, "'in' with an empty list never holds") }
            let values = items.compactMap { scalarOperand($0, "an element of in") }
            return values.count == items.count ? .isIn(values) : nil
        case "glob":
            guard let s = reader.string(node, "glob") else { return nil }
            do {
                return .glob(try GlobPattern(s, ignoringCase: ignoreCase))
            } catch {
                reader.error(node, "bad glob \(ClaimValue.quoted(s)): \(error)")
                return nil
            }
        case "regex":
            guard let s = reader.string(node, "regex") else { return nil }
            let pattern: RegexPattern
            do {
                pattern = try RegexPattern(s, ignoringCase: ignoreCase)
            } catch {
                reader.error(node, "bad regex \(ClaimValue.quoted(s)): \(error)")
                return nil
            }
            // Refused, not warned: one sign-in with a long enough value would stall a core.
            if let hazard = RegexPattern.backtrackingHazard(in: s) {
                reader.error(node, "unsafe regex \(ClaimValue.quoted(s)): \(hazard)")
                return nil
            }
            return .regex(pattern)
        default:
            guard let b = reader.bool(node, "exists") else { return nil }
            return .exists(b)
        }
    }

    private mutating func scalarOperand(_ node: Node, _ what: String) -> ClaimValue? {
        let value = YAMLNodes.value(node)
        switch value {
        case .string, .number, .bool:
            return value
        case .null:
            reader.error(node, "\(what) needs a string, number or boolean, found null; to test that a claim is absent use exists: false")
        case .array, .object:
            reader.error(
                node,
                "\(what) needs a string, number or boolean, found a \(YAMLNodes.kind(node))"
                    + (what == "equals" || what == "contains" ? "; to accept several values use in: [...]" : "")
            )
        }
        return nil
    }

    // MARK: Roles

    private mutating func buildRoles(_ node: Node) -> [RoleRule] {
        guard let items = reader.sequence(node, "roles") else { return [] }
        var rules: [RoleRule] = []
        var firstLineByID: [String: Int] = [:]
        for (i, item) in items.enumerated() {
            let what = "roles[\(i + 1)]"
            guard reader.isMapping(item, "a role rule (\(what))") else { continue }
            var id: String?
            var role: Role?
            var when: Condition?
            var whenFailed = false
            var seen = Set<String>()
            for (key, _, value) in reader.pairs(item, of: "a role rule", allowed: MappingParser.ruleKeys) {
                seen.insert(key)
                switch key {
                case "id":
                    guard let s = reader.string(value, "id") else { break }
                    if s.isEmpty || s.contains(where: \.isWhitespace) {
                        reader.error(value, "rule id \(ClaimValue.quoted(s)) must be a non-empty name without spaces")
                    } else if let line = firstLineByID[s] {
                        reader.error(value, "duplicate rule id '\(s)' (first used on line \(line)); rule ids must be unique")
                    } else {
                        firstLineByID[s] = value.mark?.line ?? 0
                        id = s
                    }
                case "role":
                    role = self.role(value)
                default:
                    when = condition(value, "\(what).when")
                    whenFailed = when == nil
                }
            }
            for required in ["id", "role"] where !seen.contains(required) {
                reader.error(item, "\(what) is missing '\(required)'")
            }
            if let id, let role, !whenFailed {
                rules.append(RoleRule(id: id, role: role, when: when, location: reader.location(item)))
            }
        }
        return rules
    }

    private mutating func role(_ node: Node) -> Role? {
        guard let s = reader.string(node, "role") else { return nil }
        if let role = Role(rawValue: s) { return role }
        reader.error(
            node,
            "unknown role '\(s)'"
                + (Suggestion.closest(to: s, among: Role.allCases.map(\.rawValue)).map { " (did you mean '\($0)'?)" } ?? "")
                + "; the roles are \(Role.allNames)"
        )
        return nil
    }

    // MARK: Tests

    private mutating func buildTest(_ node: Node, ruleIDs: [String]) -> MappingTestCase? {
        guard reader.isMapping(node, "a test case") else { return nil }
        var name: String?
        var claims: Claims?
        var expect: MappingTestCase.Expectation?
        var hasExpect = false
        for (key, _, value) in reader.pairs(node, of: "a test case", allowed: MappingParser.testKeys) {
            switch key {
            case "name":
                name = reader.string(value, "name")
            case "claims":
                if reader.isMapping(value, "claims"), case .object(let object) = YAMLNodes.value(value) {
                    claims = Claims(object)
                }
            default:
                hasExpect = true
                expect = buildExpectation(value, ruleIDs: ruleIDs)
            }
        }
        if name == nil { reader.error(node, "a test case needs a 'name'") }
        if claims == nil, node.mapping?["claims"] == nil { reader.error(node, "test case '\(name ?? "?")' needs 'claims'") }
        if !hasExpect {
            reader.warning(node, "test case '\(name ?? "?")' has no 'expect', so it checks nothing")
        } else if node.mapping?["expect"]?.mapping?.isEmpty == true {
            reader.warning(node, "test case '\(name ?? "?")' has an empty 'expect', so it checks nothing")
        }
        guard let name, let claims else { return nil }
        return MappingTestCase(name: name, claims: claims, expect: expect, location: reader.location(node))
    }

    private mutating func buildExpectation(_ node: Node, ruleIDs: [String]) -> MappingTestCase.Expectation? {
        guard reader.isMapping(node, "expect") else { return nil }
        var e = MappingTestCase.Expectation()
        for (key, _, value) in reader.pairs(node, of: "expect", allowed: MappingParser.expectKeys) {
            switch key {
            case "allowed": e.allowed = reader.bool(value, "expect.allowed")
            case "covered": e.covered = reader.bool(value, "expect.covered")
            case "deactivate": e.deactivate = reader.bool(value, "expect.deactivate")
            case "role":
                if YAMLNodes.value(value) == .null {
                    e.role = .some(nil)
                } else if let r = role(value) {
                    e.role = .some(r)
                }
            case "rule":
                if YAMLNodes.value(value) == .null {
                    e.rule = .some(nil)
                } else if let id = reader.string(value, "expect.rule") {
                    if ruleIDs.contains(id) {
                        e.rule = .some(id)
                    } else {
                        reader.error(
                            value,
                            "expect.rule '\(id)' is not a rule of this mapping" + Suggestion.hint(for: id, among: ruleIDs)
                        )
                    }
                }
            case "profile":
                guard reader.isMapping(value, "expect.profile") else { break }
                var profile: [String: String?] = [:]
                for (attribute, _, v) in reader.pairs(value, of: "expect.profile", allowed: ProfileSpec.attributeNames) {
                    if YAMLNodes.value(v) == .null {
                        profile[attribute] = .some(nil)
                    } else if let s = reader.string(v, "expect.profile.\(attribute)") {
                        profile[attribute] = s
                    }
                }
                e.profile = profile
            default:
                guard let items = reader.sequence(value, "expect.unknown_claims") else { break }
                e.unknownClaims = items.compactMap { reader.string($0, "an element of expect.unknown_claims") }
            }
        }
        return e
    }
}
