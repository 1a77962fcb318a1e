package import Foundation
package import RoleSyncJSON

/// The claims an IdP sent for one user: an ID token's payload, userinfo, or a directory record.
///
/// Claims named in `_claim_names` are *distributed* (Microsoft Entra ID's group overage):
/// their value lives elsewhere, so they are **unknown**, not absent and not empty.
package struct Claims: Sendable, Hashable {
    /// The claims by top-level name.
    package var values: [String: ClaimValue]
    /// The claims the token marks as distributed (`_claim_names`) and that carry no value here.
    package var unknownNames: Set<String>
    /// Where the values of formerly distributed claims were found, by claim name (see
    /// ``resolving(_:from:)``); empty for claims as the IdP sent them. Not part of ``jsonText``, so
    /// claims stored and read back have none.
    package var sources: [String: ClaimSource] = [:]

    /// Creates claims from a top-level object.
    /// - Parameter values: the claims by name; `_claim_names` is read for unknown claims.
    package init(_ values: [String: ClaimValue]) {
        self.values = values
        var unknown = Set<String>()
        if case .object(let names)? = values["_claim_names"] {
            for name in names.keys where values[name] == nil || values[name] == .null {
                unknown.insert(name)
            }
        }
        self.unknownNames = unknown
    }

    /// Decodes claims from a JSON object.
    /// - Parameter json: UTF-8 JSON whose top level is an object.
    /// - Throws: ``ClaimsError`` when the data is not JSON or not an object.
    package init(json: Data) throws(ClaimsError) {
        let value: ClaimValue
        do {
            value = try ClaimValue(json: json)
        } catch {
            throw ClaimsError.notJSON(error.reason)
        }
        guard case .object(let object) = value else {
            throw ClaimsError.notAnObject(found: value.typeName)
        }
        self.init(object)
    }

    /// The object these claims came from, as JSON text (keys sorted).
    package var jsonText: String { ClaimValue.object(values).jsonText }
}

/// Why a claims set could not be read.
package enum ClaimsError: Error, Sendable, Equatable, CustomStringConvertible {
    case notJSON(String)
    case notAnObject(found: String)

    package var description: String {
        switch self {
        case .notJSON(let reason): "not valid JSON: \(reason)"
        case .notAnObject(let found): "claims must be a JSON object, found a \(found)"
        }
    }
}
