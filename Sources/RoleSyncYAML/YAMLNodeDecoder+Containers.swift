import RoleSyncJSON
import Yams

extension NodeDecoder {
    /// A mapping's values by key. Unknown keys, keys that are not plain names and missing
    /// ``RequiredKeys`` are reported when it is opened.
    struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let decoder: NodeDecoder
        private var values: [String: Node] = [:]
        private(set) var allKeys: [Key] = []
        private var required: [String] = []
        var codingPath: [any CodingKey] { decoder.codingPath }

        init(decoder: NodeDecoder) {
            self.decoder = decoder
            let allowed = (Key.self as? any (CodingKey & CaseIterable).Type).map { Self.names(of: $0) }
            for (key, _, value) in decoder.report.reader.pairs(decoder.node, of: decoder.name, allowed: allowed) {
                values[key] = value
                if let codingKey = Key(stringValue: key) { allKeys.append(codingKey) }
            }
            if let keys = Key.self as? any RequiredKeys.Type {
                required = Self.required(keys)
                for key in required where values[key] == nil {
                    decoder.report.reader.error(decoder.node, "\(decoder.name) lacks '\(key)'")
                }
            }
        }

        private static func names<Keys: CodingKey & CaseIterable>(of keys: Keys.Type) -> [String] {
            keys.allCases.map(\.stringValue)
        }

        private static func required<Keys: RequiredKeys>(_ keys: Keys.Type) -> [String] {
            keys.required.map(\.stringValue)
        }

        func contains(_ key: Key) -> Bool { values[key.stringValue] != nil }

        func decodeNil(forKey key: Key) throws -> Bool { YAMLNodes.value(try child(key).node) == .null }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try child(key).decode(type)
        }

        /// `nil` when the key is absent. A present value is decoded as `T` (a `null` too: writing
        /// `key:` with no value is a mistake, not a default); when it fails, the problem is reported
        /// and the result is `nil`, so the mapping's other keys are still read.
        func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
            guard let node = values[key.stringValue] else { return nil }
            let child = decoder.child(node, key)
            return child.recovering { try child.decode(type) }
        }

        // The protocol's own versions for these types would return `nil` for a `null` and stop
        // at a value that does not decode.
        func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try decodeIfPresent(Located<Bool>.self, forKey: key)?.value }
        func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try decodeIfPresent(Located<String>.self, forKey: key)?.value }
        func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try decodeIfPresent(Located<Double>.self, forKey: key)?.value }
        func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try decodeIfPresent(Located<Float>.self, forKey: key)?.value }
        func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try decodeIfPresent(Located<Int>.self, forKey: key)?.value }
        func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try decodeIfPresent(Located<Int8>.self, forKey: key)?.value }
        func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try decodeIfPresent(Located<Int16>.self, forKey: key)?.value }
        func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try decodeIfPresent(Located<Int32>.self, forKey: key)?.value }
        func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try decodeIfPresent(Located<Int64>.self, forKey: key)?.value }
        func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try decodeIfPresent(Located<UInt>.self, forKey: key)?.value }
        func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try decodeIfPresent(Located<UInt8>.self, forKey: key)?.value }
        func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try decodeIfPresent(Located<UInt16>.self, forKey: key)?.value }
        func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try decodeIfPresent(Located<UInt32>.self, forKey: key)?.value }
        func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try decodeIfPresent(Located<UInt64>.self, forKey: key)?.value }

        func nestedContainer<NestedKey: CodingKey>(
            keyedBy type: NestedKey.Type,
            forKey key: Key
        ) throws -> KeyedDecodingContainer<NestedKey> {
            try child(key).container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try child(key).unkeyedContainer()
        }

        func superDecoder() throws -> any Decoder { decoder }

        func superDecoder(forKey key: Key) throws -> any Decoder { try child(key) }

        private func child(_ key: Key) throws -> NodeDecoder {
            guard let node = values[key.stringValue] else {
                // A missing required key was reported when the mapping was opened.
                if required.contains(key.stringValue) { throw ReportedProblem() }
                throw decoder.problem("lacks '\(key.stringValue)'")
            }
            return decoder.child(node, key)
        }
    }

    /// A list's elements. When one does not decode, the rest are still read (their problems
    /// reported) before the list gives up.
    struct UnkeyedContainer: UnkeyedDecodingContainer {
        let decoder: NodeDecoder
        let elements: [Node]
        private(set) var currentIndex = 0
        var codingPath: [any CodingKey] { decoder.codingPath }
        var count: Int? { elements.count }
        var isAtEnd: Bool { currentIndex >= elements.count }

        init(decoder: NodeDecoder, elements: [Node]) {
            self.decoder = decoder
            self.elements = elements
        }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd, YAMLNodes.value(elements[currentIndex]) == .null else { return false }
            currentIndex += 1
            return true
        }

        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            let element = try next()
            do {
                return try element.decode(type)
            } catch {
                while !isAtEnd {
                    let other = try next()
                    _ = other.recovering { try other.decode(type) }
                }
                throw error
            }
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            try next().container(keyedBy: type)
        }

        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            try next().unkeyedContainer()
        }

        mutating func superDecoder() throws -> any Decoder { try next() }

        private mutating func next() throws -> NodeDecoder {
            guard !isAtEnd else { throw decoder.problem("has too few elements") }
            defer { currentIndex += 1 }
            return decoder.child(elements[currentIndex], Index(intValue: currentIndex))
        }
    }

    /// A list element's place in a coding path.
    struct Index: CodingKey {
        var intValue: Int?
        var stringValue: String { "\(intValue ?? 0)" }
        init(intValue: Int) { self.intValue = intValue }
        init?(stringValue: String) { nil }
    }

    /// A scalar, typed by YAML 1.2's core schema.
    struct SingleValue: SingleValueDecodingContainer {
        let decoder: NodeDecoder
        var codingPath: [any CodingKey] { decoder.codingPath }
        private var value: ClaimValue { YAMLNodes.value(decoder.node) }

        init(decoder: NodeDecoder) {
            self.decoder = decoder
        }

        func decodeNil() -> Bool { value == .null }

        func decode(_ type: Bool.Type) throws -> Bool {
            guard let bool = decoder.report.reader.bool(decoder.node, decoder.name) else { throw ReportedProblem() }
            return bool
        }

        func decode(_ type: String.Type) throws -> String {
            guard let string = decoder.report.reader.string(decoder.node, decoder.name) else { throw ReportedProblem() }
            return string
        }

        func decode(_ type: Double.Type) throws -> Double {
            guard case .number(let number) = value else { throw decoder.problem("must be a number, found a \(YAMLNodes.kind(decoder.node))") }
            return number
        }

        func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }

        func decode<T: BinaryInteger & Decodable>(integer type: T.Type) throws -> T {
            let number = try decode(Double.self)
            guard let exact = T(exactly: number) else {
                throw decoder.problem("must be a whole number in range, found \(value.scalarText ?? "")")
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

        func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decode(type) }
    }
}
