import RoleSyncJSON
package import Yams

/// Decodes `Decodable` types from Yams nodes, reporting every problem of a file with its line and
/// column instead of stopping at the first, in the words of ``YAMLNodes``.
///
/// ```swift
/// struct Session: Decodable {
///     var idleTimeout: Located<String>?
///     enum CodingKeys: String, CodingKey, CaseIterable { case idleTimeout = "idle_timeout" }
/// }
/// let (session, diagnostics) = YAMLNodeDecoder(file: "rolesync.yaml", rootName: "session").decode(Session.self, from: node)
/// ```
///
/// - Plain scalars follow YAML 1.2's core schema (``YAMLNodes/value(_:)``) and nothing is coerced:
///   a `String` needs a string (`yes` is one, `017` is the number 17, `"017"` a string), a `Bool`
///   `true` or `false`. `ClaimValue` takes any node as it is.
/// - A mapping's keys are checked when its `CodingKeys` are `CaseIterable`: an unknown key is an
///   error naming the allowed ones. A key a non-optional property needs is reported missing; keys
///   listed by ``RequiredKeys`` are reported missing up front, so the other keys are still read.
/// - A problem is recorded where it is found. A present value that does not decode makes its
///   optional property `nil`, so the rest of the mapping is still read; a list reads every element
///   before it gives up. Other failures end the enclosing value, up to the nearest optional.
/// - ``Located`` values carry their node's position, for the checks that come after decoding.
///
/// Since problems are recorded as they are found, a type decoded here should not try one shape and
/// then another.
package struct YAMLNodeDecoder: Sendable {
    /// The file, for diagnostics.
    package var file: String
    /// What the root is called in messages ("the configuration"); below it, values are named by
    /// their path (`idps[0].client_id`).
    package var rootName: String

    package init(file: String, rootName: String) {
        self.file = file
        self.rootName = rootName
    }

    /// Decodes a value.
    /// - Returns: the value, unless a problem left none, and every diagnostic in file order. The
    ///   value may come with errors (an optional left `nil`): check `diagnostics.containsErrors`.
    package func decode<T: Decodable>(_ type: T.Type, from node: Node) -> (value: T?, diagnostics: [Diagnostic]) {
        let report = Report(reader: YAMLNodes(file: file), rootName: rootName)
        let decoder = NodeDecoder(node: node, codingPath: [], report: report)
        let value = decoder.recovering { try decoder.decode(type) }
        return (value, report.reader.diagnostics.sorted { $0.location < $1.location })
    }
}

/// The coding keys of a mapping some of whose keys must be present. ``YAMLNodeDecoder`` reports
/// each missing one (`idps[0] lacks 'issuer'`) before reading the others, whose properties are
/// optional so that one missing key does not hide the rest of the mapping's problems.
package protocol RequiredKeys: CodingKey {
    static var required: [Self] { get }
}

/// The diagnostics of one decoding, shared by every decoder and container of it.
final class Report {
    var reader: YAMLNodes
    let rootName: String

    init(reader: YAMLNodes, rootName: String) {
        self.reader = reader
        self.rootName = rootName
    }

    /// `idps[0].client_id`, or the root's name.
    func name(_ codingPath: [any CodingKey]) -> String {
        guard !codingPath.isEmpty else { return rootName }
        let path = codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return path.hasPrefix(".") ? String(path.dropFirst()) : path
    }
}

/// Thrown after the problem was recorded: it only unwinds to where decoding can go on.
struct ReportedProblem: Error {}

/// A `Decoder` over one node.
struct NodeDecoder: Decoder {
    let node: Node
    let codingPath: [any CodingKey]
    let report: Report
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    var location: SourceLocation { report.reader.location(node) }
    var name: String { report.name(codingPath) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if type == ClaimValue.self, let value = YAMLNodes.value(node) as? T { return value }
        return try T(from: self)
    }

    /// The value `body` decodes, or `nil` when it fails; a failure not recorded yet (a type's own
    /// `DecodingError`) is recorded at this node.
    func recovering<T>(_ body: () throws -> T) -> T? {
        do {
            return try body()
        } catch is ReportedProblem {
            return nil
        } catch let error as DecodingError {
            switch error {
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context), .dataCorrupted(let context):
                report.reader.error(node, "\(name): \(context.debugDescription)")
            @unknown default:
                report.reader.error(node, "\(name): \(error)")
            }
        } catch {
            report.reader.error(node, "\(name): \(error)")
        }
        return nil
    }

    func child(_ node: Node, _ key: any CodingKey) -> NodeDecoder {
        NodeDecoder(node: node, codingPath: codingPath + [key], report: report)
    }

    /// Records a problem with this node and returns the error to unwind with.
    func problem(_ message: String) -> ReportedProblem {
        report.reader.error(node, "\(name) \(message)")
        return ReportedProblem()
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard report.reader.isMapping(node, name) else { throw ReportedProblem() }
        return KeyedDecodingContainer(KeyedContainer<Key>(decoder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard let elements = report.reader.sequence(node, name) else { throw ReportedProblem() }
        return UnkeyedContainer(decoder: self, elements: elements)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleValue(decoder: self) }
}
