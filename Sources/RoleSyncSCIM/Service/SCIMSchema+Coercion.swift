import RoleSyncJSON
import RoleSyncMapping

extension SCIMSchema.Attribute {
    /// A value checked against this definition: multi-valued attributes become lists (a single
    /// value is wrapped, nulls are dropped), booleans also accept the strings `"true"`/`"false"` in
    /// any case (Entra ID sends `"False"`), and complex values keep their members verbatim, known
    /// sub-attributes type-checked and null members dropped.
    /// - Throws: ``SCIMProtocolError/invalidValue(_:)`` naming the attribute.
    func coerced(_ value: ClaimValue) throws(SCIMProtocolError) -> ClaimValue {
        guard multiValued else { return try coercedElement(value) }
        let elements: [ClaimValue]
        if case .array(let list) = value { elements = list } else { elements = [value] }
        var out: [ClaimValue] = []
        for element in elements where element != .null {
            out.append(try coercedElement(element))
        }
        return .array(out)
    }

    /// One value (one element of a multi-valued attribute) checked against this definition.
    func coercedElement(_ value: ClaimValue) throws(SCIMProtocolError) -> ClaimValue {
        switch type {
        case .string, .reference, .dateTime, .binary:
            guard case .string = value else { throw .invalidValue("'\(name)' must be a string, not a \(value.typeName)") }
            return value
        case .boolean:
            switch value {
            case .bool: return value
            case .string(let text) where text.lowercased() == "true": return .bool(true)
            case .string(let text) where text.lowercased() == "false": return .bool(false)
            default: throw .invalidValue("'\(name)' must be a boolean, not a \(value.typeName)")
            }
        case .decimal, .integer:
            guard case .number(let number) = value, type == .decimal || number.rounded() == number else {
                throw .invalidValue("'\(name)' must be \(type == .integer ? "an integer" : "a number")")
            }
            return value
        case .complex:
            guard case .object(let object) = value else { throw .invalidValue("'\(name)' values must be objects, not a \(value.typeName)") }
            var out: [String: ClaimValue] = [:]
            for (key, member) in object where member != .null {
                out[key] = try subAttribute(key)?.coerced(member) ?? member
            }
            if let elementKey, out.scimValue(elementKey)?.stringValue == nil {
                throw .invalidValue("each '\(name)' value needs a string '\(elementKey)'")
            }
            return .object(out)
        }
    }
}
