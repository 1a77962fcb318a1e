public import Foundation
import RoleSyncJSON
import RoleSyncMapping

/// The parts of a provider's discovery document (OpenID Connect Discovery 1.0 §3) RoleSync uses.
public struct ProviderMetadata: Sendable, Equatable {
    public var issuer: String
    public var authorizationEndpoint: URL
    public var tokenEndpoint: URL
    public var jwksURI: URL
    public var userinfoEndpoint: URL?
    /// `id_token_signing_alg_values_supported`, as advertised (unknown names dropped).
    public var signingAlgorithms: Set<JWSAlgorithm>
    /// Whether the provider sends `iss` with authorization responses (RFC 9207).
    public var sendsIssuerParameter: Bool
    /// `code_challenge_methods_supported`, when advertised.
    public var codeChallengeMethods: [String]?

    /// Reads a discovery document and checks it belongs to `expectedIssuer`.
    /// - Parameters:
    ///   - data: the document.
    ///   - expectedIssuer: the configured issuer; the document's `issuer` must equal it exactly.
    ///   - allowInsecureHTTP: whether `http://` endpoints are acceptable (a loopback issuer).
    /// - Throws: ``OIDCError/discoveryFailed(_:)`` naming the member at fault.
    public init(discovery data: Data, expectedIssuer: String, allowInsecureHTTP: Bool) throws(OIDCError) {
        let document: ClaimValue
        do {
            document = try ClaimValue(json: data)
        } catch {
            throw .discoveryFailed("not JSON: \(error.description)")
        }
        guard case .object(let members) = document else { throw .discoveryFailed("not a JSON object") }
        func string(_ name: String) throws(OIDCError) -> String {
            guard case .string(let value)? = members[name], !value.isEmpty else {
                throw .discoveryFailed("'\(name)' is missing")
            }
            return value
        }
        func endpoint(_ name: String) throws(OIDCError) -> URL {
            let text = try string(name)
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), url.host != nil,
                scheme == "https" || (scheme == "http" && allowInsecureHTTP)
            else {
                throw .discoveryFailed("'\(name)' is not an https URL")
            }
            return url
        }
        let issuer = try string("issuer")
        guard issuer == expectedIssuer else {
            throw .discoveryFailed("'issuer' is '\(issuer)', not the configured '\(expectedIssuer)'")
        }
        self.issuer = issuer
        authorizationEndpoint = try endpoint("authorization_endpoint")
        tokenEndpoint = try endpoint("token_endpoint")
        jwksURI = try endpoint("jwks_uri")
        userinfoEndpoint = members["userinfo_endpoint"] == nil ? nil : try endpoint("userinfo_endpoint")
        if case .array(let names)? = members["id_token_signing_alg_values_supported"] {
            signingAlgorithms = Set(names.compactMap { $0.stringValue.flatMap(JWSAlgorithm.init(rawValue:)) })
        } else {
            // Required by Discovery; when absent, RS256 is the only algorithm OpenID Connect
            // presumes (Core §15.1).
            signingAlgorithms = [.rs256]
        }
        sendsIssuerParameter = members["authorization_response_iss_parameter_supported"] == .bool(true)
        if case .array(let methods)? = members["code_challenge_methods_supported"] {
            codeChallengeMethods = methods.compactMap(\.stringValue)
        } else {
            codeChallengeMethods = nil
        }
    }
}
