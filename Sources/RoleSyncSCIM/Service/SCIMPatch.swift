package import Foundation
package import RoleSyncJSON
import RoleSyncMapping

/// A SCIM PATCH request (RFC 7644 §3.5.2), parsed, and applied to a stored resource.
///
/// ```swift
/// let patch = try SCIMPatch(json: body)
/// var user = stored
/// try patch.apply(to: &user, schema: .user)
/// ```
///
/// What it accepts beyond the letter of the RFC, because identity providers send it:
/// - `op` in any case (Entra ID sends `"Add"`, `"Replace"`);
/// - boolean attributes given as the strings `"True"`/`"False"`;
/// - `remove` on a multi-valued attribute with a `value` list (`{"op":"remove","path":"members",
///   "value":[{"value":"id"}]}`): only the listed values go, matched by their `value`;
/// - path-less `add`/`replace` whose object names unknown attributes: those are ignored (members
///   whose names are paths, such as `"name.givenName"`, are applied as paths). An explicit
///   `path` naming an unknown attribute is ``SCIMProtocolError/invalidPath(_:)``.
///
/// Removing a required attribute (or replacing it with `null`) is
/// ``SCIMProtocolError/mutability(_:)``, as RFC 7644 §3.5.2.2 says; so is any change to a
/// read-only attribute (`id`, `meta`, `schemas`, User `groups`).
package struct SCIMPatch: Sendable, Hashable {
    /// The PatchOp message URN.
    package static let schemaURN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    /// The most operations one request may carry.
    package static let maximumOperations = 1_000

    /// A PATCH `path`: `attrPath` or `valuePath [subAttr]`, e.g. `members[value eq "42"]` or
    /// `emails[type eq "work"].value`.
    package struct Path: Sendable, Hashable, CustomStringConvertible {
        /// The attribute (with its sub-attribute when written `name.givenName`).
        package var attribute: SCIMAttributePath
        /// The value filter in brackets, if any; its paths are relative to ``attribute``.
        package var filter: SCIMFilter?
        /// The sub-attribute after the brackets, if any.
        package var subAttribute: String?

        /// Creates a path from its parts.
        package init(attribute: SCIMAttributePath, filter: SCIMFilter? = nil, subAttribute: String? = nil) {
            self.attribute = attribute
            self.filter = filter
            self.subAttribute = subAttribute
        }

        /// Parses a path.
        /// - Parameter text: the operation's `path`.
        /// - Throws: ``SCIMProtocolError/invalidPath(_:)`` with the position of the problem.
        package init(parsing text: String) throws(SCIMProtocolError) {
            self = try SCIMFilterParser.patchPath(text)
        }

        package var description: String {
            attribute.description + (filter.map { _ in "[…]" } ?? "") + (subAttribute.map { "." + $0 } ?? "")
        }
    }

    /// One PATCH operation.
    package struct Operation: Sendable, Hashable {
        /// The `op`.
        package enum Kind: String, Sendable, Hashable {
            case add, remove, replace
        }

        package var kind: Kind
        package var path: Path?
        /// The `value`; `nil` when the operation has none.
        package var value: ClaimValue?

        /// Creates an operation.
        package init(_ kind: Kind, path: Path? = nil, value: ClaimValue? = nil) {
            self.kind = kind
            self.path = path
            self.value = value
        }
    }

    /// The operations, in order.
    package var operations: [Operation]

    /// Creates a patch from operations.
    package init(operations: [Operation]) {
        self.operations = operations
    }

    /// Reads a PatchOp body.
    /// - Parameter body: the decoded JSON body.
    /// - Throws: ``SCIMProtocolError/invalidSyntax(_:)`` when `schemas` lacks the PatchOp URN,
    ///   `Operations` is missing, empty or longer than ``maximumOperations``, or an operation is
    ///   malformed; ``SCIMProtocolError/invalidPath(_:)`` for an unreadable `path`.
    package init(body: ClaimValue) throws(SCIMProtocolError) {
        guard case .object(let message) = body else { throw .invalidSyntax("a PATCH body must be a JSON object") }
        guard case .array(let schemas)? = message.scimValue("schemas"),
            schemas.contains(where: { $0.stringValue?.lowercased() == Self.schemaURN.lowercased() })
        else { throw .invalidSyntax("'schemas' must contain \(Self.schemaURN)") }
        guard case .array(let list)? = message.scimValue("Operations"), !list.isEmpty else {
            throw .invalidSyntax("'Operations' must be a non-empty list")
        }
        guard list.count <= Self.maximumOperations else {
            throw .invalidSyntax("more than \(Self.maximumOperations) operations")
        }
        var operations: [Operation] = []
        for (index, item) in list.enumerated() {
            guard case .object(let object) = item else { throw .invalidSyntax("operation \(index + 1) is not an object") }
            guard let opName = object.scimValue("op")?.stringValue, let kind = Operation.Kind(rawValue: opName.lowercased()) else {
                throw .invalidSyntax("operation \(index + 1): 'op' must be add, remove or replace")
            }
            var path: Path?
            switch object.scimValue("path") {
            case nil, .null?: path = nil
            case .string(let text)?:
                do throws(SCIMProtocolError) {
                    path = try Path(parsing: text)
                } catch {
                    throw SCIMProtocolError(status: error.status, scimType: error.scimType, detail: "operation \(index + 1): \(error.detail)")
                }
            case .some: throw .invalidPath("operation \(index + 1): 'path' must be a string")
            }
            operations.append(Operation(kind, path: path, value: object.scimValue("value")))
        }
        self.init(operations: operations)
    }

    /// Reads a PatchOp body from JSON.
    /// - Parameter json: the request body.
    /// - Throws: ``SCIMProtocolError/invalidSyntax(_:)`` when it is not JSON, and what
    ///   ``init(body:)`` throws.
    package init(json: Data) throws(SCIMProtocolError) {
        let body: ClaimValue
        do throws(JSONError) {
            body = try ClaimValue(json: json)
        } catch {
            throw .invalidSyntax("the body is \(error.description)")
        }
        try self.init(body: body)
    }

    /// Applies the operations in order, all or nothing.
    /// - Parameters:
    ///   - resource: the stored resource; left unchanged when an operation fails.
    ///   - schema: the resource's schema.
    /// - Throws: ``SCIMProtocolError`` (`invalidPath`, `invalidValue`, `mutability`, `noTarget`),
    ///   its detail naming the operation.
    package func apply(to resource: inout [String: ClaimValue], schema: SCIMSchema) throws(SCIMProtocolError) {
        var applier = SCIMPatchApplier(schema: schema, resource: resource)
        for (index, operation) in operations.enumerated() {
            do throws(SCIMProtocolError) {
                try applier.apply(operation)
            } catch {
                throw SCIMProtocolError(status: error.status, scimType: error.scimType, detail: "operation \(index + 1): \(error.detail)")
            }
        }
        resource = applier.resource
    }
}
