extension ClaimValue {
    /// Decodes a `Decodable` type from this value, strictly: a `String` needs a JSON string, an
    /// integer a JSON number without a fraction, a `Bool` a JSON boolean; nothing is coerced. With
    /// ``init(json:)`` in front, documents of fixed shape are read as strictly as claims are.
    ///
    /// ```swift
    /// struct TokenResponse: Decodable { var id_token: String }
    /// let response = try ClaimValue(json: body).decode(TokenResponse.self)
    /// ```
    ///
    /// - Throws: `DecodingError` whose `codingPath` names the member at fault; ``JSONDecodeFailure``
    ///   turns it into words.
    package func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try T(from: ClaimValueDecoder(value: self, codingPath: []))
    }
}

/// Why a document did not decode, in words that name the member: `'token_type' must be a string`.
package struct JSONDecodeFailure: Error, Sendable, CustomStringConvertible {
    package var description: String

    package init(_ error: any Error) {
        guard let error = error as? DecodingError else {
            description = "\(error)"
            return
        }
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            description = "'\(path(context.codingPath + [key]))' is missing"
        case .valueNotFound(_, let context):
            description = "'\(path(context.codingPath))' is null"
        case .typeMismatch(_, let context), .dataCorrupted(let context):
            description = "'\(path(context.codingPath))' \(context.debugDescription)"
        @unknown default:
            description = "\(error)"
        }
    }
}

/// A `Decoder` over a ``ClaimValue``.
struct ClaimValueDecoder: Decoder {
    let value: ClaimValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else { throw mismatch([String: ClaimValue].self, "an object") }
        return KeyedDecodingContainer(KeyedContainer<Key>(members: members, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else { throw mismatch([ClaimValue].self, "a list") }
        return UnkeyedContainer(elements: elements, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleValue(value: value, codingPath: codingPath)
    }

    func mismatch(_ type: Any.Type, _ expected: String) -> DecodingError {
        .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "must be \(expected), found \(value.typeName)"))
    }

    struct Index: CodingKey {
        var intValue: Int?
        var stringValue: String { "\(intValue ?? 0)" }
        init(_ index: Int) { intValue = index }
        init?(stringValue: String) { nil }
        init?(intValue: Int) { self.intValue = intValue }
    }

    struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let members: [String: ClaimValue]
        let codingPath: [any CodingKey]
        var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

        func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

        func decodeNil(forKey key: Key) throws -> Bool { members[key.stringValue] == .null }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            guard let member = members[key.stringValue] else {
                throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "is missing"))
            }
            return try T(from: ClaimValueDecoder(value: member, codingPath: codingPath + [key]))
        }

        func nestedContainer<NestedKey: CodingKey>(
            keyedBy type: NestedKey.Type,
            forKey key: Key
        ) throws
            -> KeyedDecodingContainer<NestedKey>
        {
            try decoder(key).container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try decoder(key).unkeyedContainer()
        }

        func superDecoder() throws -> any Decoder { ClaimValueDecoder(value: .object(members), codingPath: codingPath) }
        func superDecoder(forKey key: Key) throws -> any Decoder { try decoder(key) }

        private func decoder(_ key: Key) throws -> ClaimValueDecoder {
            guard let member = members[key.stringValue] else {
                throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "is missing"))
            }
            return ClaimValueDecoder(value: member, codingPath: codingPath + [key])
        }
    }

    struct UnkeyedContainer: UnkeyedDecodingContainer {
        let elements: [ClaimValue]
        let codingPath: [any CodingKey]
        var currentIndex = 0
        var count: Int? { elements.count }
        var isAtEnd: Bool { currentIndex >= elements.count }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd, elements[currentIndex] == .null else { return false }
            currentIndex += 1
            return true
        }

        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            let decoder = try next()
            return try T(from: decoder)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            try next().container(keyedBy: type)
        }

        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            try next().unkeyedContainer()
        }

        mutating func superDecoder() throws -> any Decoder { try next() }

        private mutating func next() throws -> ClaimValueDecoder {
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(
                    Any.self,
                    .init(codingPath: codingPath + [Index(currentIndex)], debugDescription: "is past the end of the list")
                )
            }
            defer { currentIndex += 1 }
            return ClaimValueDecoder(value: elements[currentIndex], codingPath: codingPath + [Index(currentIndex)])
        }
    }

    struct SingleValue: SingleValueDecodingContainer {
        let value: ClaimValue
        let codingPath: [any CodingKey]

        func decodeNil() -> Bool { value == .null }

        func decode(_ type: Bool.Type) throws -> Bool {
            guard case .bool(let b) = value else { throw mismatch(type, "a boolean") }
            return b
        }

        func decode(_ type: String.Type) throws -> String {
            guard case .string(let s) = value else { throw mismatch(type, "a string") }
            return s
        }

        func decode(_ type: Double.Type) throws -> Double {
            guard case .number(let n) = value else { throw mismatch(type, "a number") }
            return n
        }

        func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }

        func decode<T: BinaryInteger & Decodable>(integer type: T.Type) throws -> T {
            guard case .number(let n) = value, n.rounded() == n, let exact = T(exactly: n) else {
                throw mismatch(type, "a whole number in range")
            }
            return exact
        }

        func decode(_ type: Int.Type) throws -> Int { try decode(integer: type) }
        func decode(_ type: Int8.Type) throws -> Int8 { try decode(integer: type) }
        func decode(_ type: Int16.Type) throws -> Int16 { try decode(integer: type) }
        func decode(_ type: Int32.Type) throws -> Int32 { try decode(integer: type) }
        func decode(_ type: Int64.Type) throws -> Int64 { try decode(integer: type) }
        func decode(_ type: UInt.Type) throws -> UInt { try decode(integer: type) }
        func decode(_ type: UInt8.Type) throws -> UInt8 { try decode(integer: type) }
        func decode(_ type: UInt16.Type) throws -> UInt16 { try decode(integer: type) }
        func decode(_ type: UInt32.Type) throws -> UInt32 { try decode(integer: type) }
        func decode(_ type: UInt64.Type) throws -> UInt64 { try decode(integer: type) }

        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            if type == ClaimValue.self, let value = value as? T { return value }
            return try T(from: ClaimValueDecoder(value: value, codingPath: codingPath))
        }

        private func mismatch(_ type: Any.Type, _ expected: String) -> DecodingError {
            .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "must be \(expected), found \(value.typeName)"))
        }
    }
}
