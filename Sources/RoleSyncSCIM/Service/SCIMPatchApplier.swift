import RoleSyncJSON
import RoleSyncMapping

/// Applies ``SCIMPatch`` operations to a copy of a resource (RFC 7644 §3.5.2.1–3).
struct SCIMPatchApplier {
    typealias Attribute = SCIMSchema.Attribute
    typealias Kind = SCIMPatch.Operation.Kind

    /// Where an operation points, resolved against the schema.
    struct Target {
        var attribute: Attribute
        var subAttribute: Attribute?
        var filter: SCIMFilter?
    }

    let schema: SCIMSchema
    var resource: [String: ClaimValue]

    mutating func apply(_ operation: SCIMPatch.Operation) throws(SCIMProtocolError) {
        guard let path = operation.path else {
            guard operation.kind != .remove else { throw .noTarget("'remove' needs a path") }
            try applyWithoutPath(operation.kind, value: operation.value)
            return
        }
        // An attribute RoleSync does not publish (Entra ID's default mappings send `title`,
        // `phoneNumbers[type eq "work"].value`, the enterprise extension…) is not stored, as in
        // POST and PUT bodies: the operation is skipped rather than failing the whole request.
        guard schema.attribute(SCIMAttributePath(path.attribute.attribute, schema: path.attribute.schema)) != nil else { return }
        let target = try resolve(path)
        guard target.attribute.mutability != .readOnly else { throw readOnly(target.attribute) }
        try apply(operation.kind, to: target, value: operation.value)
    }

    /// A path-less `add`/`replace`: each member of the object is applied at its own path. Members
    /// the schema does not know are ignored; read-only ones are too when unchanged (Okta sends `id`).
    private mutating func applyWithoutPath(_ kind: Kind, value: ClaimValue?) throws(SCIMProtocolError) {
        guard case .object(let object)? = value else { throw .invalidValue("'\(kind.rawValue)' without a path needs an object value") }
        for (key, member) in object.sorted(by: { $0.key < $1.key }) where key.lowercased() != "schemas" {
            guard let path = try? SCIMPatch.Path(parsing: key), let target = try? resolve(path) else { continue }
            if target.attribute.mutability == .readOnly {
                guard path.filter == nil, target.subAttribute == nil, resource.scimValue(target.attribute.name) == member else {
                    throw readOnly(target.attribute)
                }
                continue
            }
            try apply(kind, to: target, value: member)
        }
    }

    private func resolve(_ path: SCIMPatch.Path) throws(SCIMProtocolError) -> Target {
        guard let attribute = schema.attribute(SCIMAttributePath(path.attribute.attribute, schema: path.attribute.schema)) else {
            throw .invalidPath("'\(SCIMProtocolError.excerpt(path.attribute.description, limit: 100))' is not an attribute of \(schema.name)")
        }
        var target = Target(attribute: attribute, filter: path.filter)
        if let subName = path.attribute.subAttribute ?? path.subAttribute {
            guard let sub = attribute.subAttribute(subName) else {
                throw .invalidPath("'\(SCIMProtocolError.excerpt(subName, limit: 100))' is not a sub-attribute of '\(attribute.name)'")
            }
            target.subAttribute = sub
        }
        if path.filter != nil, !attribute.multiValued {
            throw .invalidPath("'\(attribute.name)' is not multi-valued, so it takes no value filter")
        }
        return target
    }

    private func readOnly(_ attribute: Attribute) -> SCIMProtocolError {
        .mutability("'\(attribute.name)' is read-only")
    }

    // MARK: Operations

    private mutating func apply(_ kind: Kind, to target: Target, value: ClaimValue?) throws(SCIMProtocolError) {
        let attribute = target.attribute
        if kind != .remove, value == nil { throw .invalidValue("'\(kind.rawValue)' needs a value") }
        if kind == .add, value == .null { throw .invalidValue("'add' needs a value, not null") }
        if let filter = target.filter {
            try applyFiltered(kind, attribute, filter, target.subAttribute, value)
        } else if let sub = target.subAttribute {
            try applyToSubAttribute(kind, attribute, sub, value)
        } else if kind == .remove || value == .null {
            guard !attribute.required else { throw .mutability("'\(attribute.name)' is required and cannot be removed") }
            try checkImmutable(attribute, replacing: resource.scimValue(attribute.name), with: nil)
            if attribute.multiValued, let value, value != .null, let current = resource.scimValue(attribute.name) {
                set(attribute, .array(removing(value, from: list(current))))
            } else {
                set(attribute, nil)
            }
        } else if let value {
            try applyToAttribute(kind, attribute, value)
        }
    }

    /// `add` or `replace` on a whole attribute.
    private mutating func applyToAttribute(_ kind: Kind, _ attribute: Attribute, _ value: ClaimValue) throws(SCIMProtocolError) {
        let coerced = try attribute.coerced(value)
        let current = resource.scimValue(attribute.name)
        if attribute.multiValued {
            guard case .array(let new) = coerced else { return }
            guard kind == .add else {
                set(attribute, coerced)
                return
            }
            var elements = current.map(list) ?? []
            var added: [Int] = []
            for element in new where !contains(elements, element, key: attribute.elementKey) {
                added.append(elements.count)
                elements.append(element)
            }
            set(attribute, .array(clearingOtherPrimaries(elements, keeping: added)))
        } else if attribute.type == .complex, case .object(let new) = coerced {
            var object: [String: ClaimValue] = [:]
            if case .object(let existing)? = current { object = existing }
            for (key, member) in new {
                object.setSCIMValue(member, forKey: key)
            }
            try checkImmutable(attribute, replacing: current, with: .object(object))
            set(attribute, .object(object))
        } else {
            if attribute.required, coerced.isEmpty { throw .invalidValue("'\(attribute.name)' cannot be empty") }
            try checkImmutable(attribute, replacing: current, with: coerced)
            set(attribute, coerced)
        }
    }

    /// An operation on `name.givenName` or, applied to every value, `emails.value`.
    private mutating func applyToSubAttribute(
        _ kind: Kind,
        _ attribute: Attribute,
        _ sub: Attribute,
        _ value: ClaimValue?
    ) throws(SCIMProtocolError) {
        guard sub.mutability != .readOnly else { throw readOnly(sub) }
        let current = resource.scimValue(attribute.name)
        if attribute.multiValued {
            var elements = current.map(list) ?? []
            guard kind == .remove || !elements.isEmpty else { throw .noTarget("'\(attribute.name)' has no values") }
            for index in elements.indices {
                elements[index] = try updating(elements[index], sub, kind, value)
            }
            set(attribute, .array(elements))
        } else {
            var object: [String: ClaimValue] = [:]
            if case .object(let existing)? = current { object = existing }
            guard case .object(let updated) = try updating(.object(object), sub, kind, value) else { return }
            set(attribute, .object(updated))
        }
    }

    /// An operation on `members[value eq "…"]` or `emails[type eq "work"].value`.
    private mutating func applyFiltered(
        _ kind: Kind,
        _ attribute: Attribute,
        _ filter: SCIMFilter,
        _ sub: Attribute?,
        _ value: ClaimValue?
    ) throws(SCIMProtocolError) {
        if let sub, sub.mutability == .readOnly { throw readOnly(sub) }
        var elements = resource.scimValue(attribute.name).map(list) ?? []
        let prefix = attribute.name.lowercased()
        let matching = elements.indices.filter { index in
            guard case .object(let object) = elements[index] else { return false }
            return filter.matches(object, caseExact: { schema.isCaseExact($0) }, prefix: prefix)
        }
        switch kind {
        case .remove:
            if let sub {
                for index in matching { elements[index] = try updating(elements[index], sub, .remove, nil) }
            } else {
                elements = elements.indices.filter { !matching.contains($0) }.map { elements[$0] }
            }
            set(attribute, .array(elements))
        case .add, .replace:
            guard let value else { return }
            guard !matching.isEmpty else {
                // RFC 7644 §3.5.2.3: a replace whose filter matches nothing fails. An add creates the
                // value the filter describes (Entra ID adds `emails[type eq "work"].value` this way).
                guard kind == .add, let seed = Self.seed(filter) else {
                    throw .noTarget("no value of '\(attribute.name)' matches the filter")
                }
                var element = seed
                if let sub {
                    element.setSCIMValue(value, forKey: sub.name)
                } else if case .object(let members) = value {
                    for (key, member) in members { element.setSCIMValue(member, forKey: key) }
                } else {
                    throw .invalidValue("'\(attribute.name)' values must be objects, not a \(value.typeName)")
                }
                let new = try attribute.coercedElement(.object(element))
                elements.append(new)
                set(attribute, .array(clearingOtherPrimaries(elements, keeping: [elements.count - 1])))
                return
            }
            for index in matching {
                if let sub {
                    elements[index] = try updating(elements[index], sub, kind, value)
                } else {
                    guard case .object(let members) = value else {
                        throw .invalidValue("'\(attribute.name)' values must be objects, not a \(value.typeName)")
                    }
                    guard case .object(var object) = elements[index] else { continue }
                    for (key, member) in members {
                        let memberSub = attribute.subAttribute(key)
                        if let memberSub {
                            try checkImmutable(memberSub, replacing: object.scimValue(key), with: member)
                        }
                        object.setSCIMValue(member, forKey: key)
                    }
                    elements[index] = try attribute.coercedElement(.object(object))
                }
            }
            set(attribute, .array(clearingOtherPrimaries(elements, keeping: matching)))
        }
    }

    /// One complex value with `sub` set (or removed).
    private func updating(_ element: ClaimValue, _ sub: Attribute, _ kind: Kind, _ value: ClaimValue?) throws(SCIMProtocolError) -> ClaimValue {
        guard case .object(var object) = element else { return element }
        let current = object.scimValue(sub.name)
        if kind == .remove || value == .null {
            try checkImmutable(sub, replacing: current, with: nil)
            object.setSCIMValue(nil, forKey: sub.name)
        } else if let value {
            let coerced = try sub.coerced(value)
            try checkImmutable(sub, replacing: current, with: coerced)
            object.setSCIMValue(coerced, forKey: sub.name)
        }
        return .object(object)
    }

    // MARK: Helpers

    /// An immutable attribute may be set once, and then only to the same value.
    private func checkImmutable(_ attribute: Attribute, replacing current: ClaimValue?, with new: ClaimValue?) throws(SCIMProtocolError) {
        guard attribute.mutability == .immutable, let current, current != .null, current != new else { return }
        throw .mutability("'\(attribute.name)' is immutable")
    }

    /// Sets a top-level attribute under its schema name (dropping other spellings); `nil`, an empty
    /// list and an empty object remove it.
    private mutating func set(_ attribute: Attribute, _ value: ClaimValue?) {
        switch value {
        case .array(let elements)? where elements.isEmpty: resource.setSCIMValue(nil, forKey: attribute.name)
        case .object(let members)? where members.isEmpty: resource.setSCIMValue(nil, forKey: attribute.name)
        default: resource.setSCIMValue(value, forKey: attribute.name)
        }
    }

    private func list(_ value: ClaimValue) -> [ClaimValue] {
        switch value {
        case .array(let elements): elements
        case .null: []
        default: [value]
        }
    }

    /// Whether `element` is already among `elements`: equal, or (for `members`) with the same `value`.
    private func contains(_ elements: [ClaimValue], _ element: ClaimValue, key: String?) -> Bool {
        if elements.contains(element) { return true }
        guard let key, case .object(let object) = element, let id = object.scimValue(key) else { return false }
        return elements.contains { existing in
            guard case .object(let other) = existing else { return false }
            return other.scimValue(key) == id
        }
    }

    /// `elements` without those `value` names: equal ones, or ones with the same `value` member.
    private func removing(_ value: ClaimValue, from elements: [ClaimValue]) -> [ClaimValue] {
        let targets = list(value)
        return elements.filter { element in
            !targets.contains { target in
                if target == element { return true }
                let wanted: ClaimValue? = if case .object(let object) = target { object.scimValue("value") } else { target }
                guard let wanted, case .object(let object) = element else { return false }
                return object.scimValue("value") == wanted
            }
        }
    }

    /// RFC 7644 §3.5.2: setting `primary` true on a value sets it false on the others.
    private func clearingOtherPrimaries(_ elements: [ClaimValue], keeping indices: [Int]) -> [ClaimValue] {
        func isPrimary(_ element: ClaimValue) -> Bool {
            if case .object(let object) = element { return object.scimValue("primary") == .bool(true) }
            return false
        }
        guard indices.contains(where: { isPrimary(elements[$0]) }) else { return elements }
        return elements.indices.map { index in
            guard !indices.contains(index), isPrimary(elements[index]), case .object(var object) = elements[index] else { return elements[index] }
            object.setSCIMValue(.bool(false), forKey: "primary")
            return .object(object)
        }
    }

    /// The value a filter of `eq` comparisons joined by `and` describes (`type eq "work"` gives
    /// `{"type":"work"}`), or `nil` for any other filter.
    static func seed(_ filter: SCIMFilter) -> [String: ClaimValue]? {
        switch filter {
        case .comparison(let path, .eq, let value) where path.subAttribute == nil && path.schema == nil && value != .null:
            return [path.attribute: value]
        case .and(let left, let right):
            guard let left = seed(left), let right = seed(right) else { return nil }
            return left.merging(right) { first, _ in first }
        default:
            return nil
        }
    }
}

extension Dictionary where Key == String, Value == ClaimValue {
    /// Sets (or with `nil`, removes) a member, dropping other spellings of its name.
    mutating func setSCIMValue(_ value: ClaimValue?, forKey key: String) {
        let lowered = key.lowercased()
        for stale in keys.filter({ $0 != key && $0.lowercased() == lowered }) {
            removeValue(forKey: stale)
        }
        self[key] = value
    }
}
