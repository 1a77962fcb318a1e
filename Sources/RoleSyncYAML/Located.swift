/// A decoded value and where its node is, for the checks made after decoding: an error about a
/// value that decoded (an issuer that is not https, a variable that is not set) points at it.
///
/// Only ``YAMLNodeDecoder`` knows positions; another decoder fails on it.
package struct Located<Value> {
    package var value: Value
    package var location: SourceLocation

    package init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }
}

extension Located: Sendable where Value: Sendable {}
extension Located: Equatable where Value: Equatable {}

extension Located: Decodable where Value: Decodable {
    package init(from decoder: any Decoder) throws {
        guard let decoder = decoder as? NodeDecoder else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "has no position outside YAML"))
        }
        self.init(try decoder.decode(Value.self), at: decoder.location)
    }
}
