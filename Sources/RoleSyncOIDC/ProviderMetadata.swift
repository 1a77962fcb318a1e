package import Foundation
import RoleSyncJSON
import RoleSyncMapping

/// The parts of a provider's discovery document (OpenID Connect Discovery 1.0 §3) RoleSync uses.
package struct ProviderMetadata: Sendable, Equatable {
    package var issuer: String
    package var authorizationEndpoint: URL
    package var tokenEndpoint: URL
    package var jwksURI: URL
    package var userinfoEndpoint: URL?
    /// `id_token_signing_alg_values_supported`, as advertised (unknown names dropped).
    package var signingAlgorithms: Set<JWSAlgorithm>
    /// Whether the provider sends `iss` with authorization responses (RFC 9207).
    package var sendsIssuerParameter: Bool
    /// `code_challenge_methods_supported`, when advertised.
    package var codeChallengeMethods: [String]?

    /// Reads a discovery document and checks it belongs to `expectedIssuer`.
    /// - Parameters:
    ///   - data: the document.
    ///   - expectedIssuer: the configured issuer; the document's `issuer` must equal it exactly.
    ///   - allowInsecureHTTP: whether `http://` endpoints are acceptable (a loopback issuer).
    /// - Throws: ``OIDCError/discoveryFailed(_:)`` naming the member at fault.
    package init(discovery data: Data, expectedIssuer: String, allowInsecureHTTP: Bool) throws(OIDCError) {
        let document: DiscoveryDocument
        do {
            document = try ClaimValue(json: data).decode(DiscoveryDocument.self)
        } catch let error as JSONError {
            throw .discoveryFailed("not JSON: \(error.description)")
        } catch {
            throw .discoveryFailed(JSONDecodeFailure(error).description)
        }
        func endpoint(_ text: String?, _ name: String) throws(OIDCError) -> URL {
            guard let text, !text.isEmpty else { throw .discoveryFailed("'\(name)' is missing") }
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), url.host != nil,
                scheme == "https" || (scheme == "http" && allowInsecureHTTP)
            else {
                throw .discoveryFailed("'\(name)' is not an https URL")
            }
            return url
        }
        guard !document.issuer.isEmpty else { throw .discoveryFailed("'issuer' is missing") }
        guard document.issuer == expectedIssuer else {
            throw .discoveryFailed("'issuer' is '\(document.issuer)', not the configured '\(expectedIssuer)'")
        }
        issuer = document.issuer
        authorizationEndpoint = try endpoint(document.authorizationEndpoint, "authorization_endpoint")
        tokenEndpoint = try endpoint(document.tokenEndpoint, "token_endpoint")
        jwksURI = try endpoint(document.jwksURI, "jwks_uri")
        userinfoEndpoint = document.userinfoEndpoint == nil ? nil : try endpoint(document.userinfoEndpoint, "userinfo_endpoint")
        // Required by Discovery; when absent, RS256 is the only algorithm OpenID Connect presumes
        // (Core §15.1). Names RoleSync does not know are dropped.
        signingAlgorithms = document.signingAlgorithms.map { Set($0.compactMap(JWSAlgorithm.init(rawValue:))) } ?? [.rs256]
        sendsIssuerParameter = document.sendsIssuerParameter ?? false
        codeChallengeMethods = document.codeChallengeMethods
    }
}

/// A discovery document as it is written (OpenID Connect Discovery 1.0 §3), the members RoleSync
/// reads, each of its JSON type: a member of another type is an error that names it.
struct DiscoveryDocument: Decodable {
    var issuer: String
    var authorizationEndpoint: String?
    var tokenEndpoint: String?
    var jwksURI: String?
    var userinfoEndpoint: String?
    var signingAlgorithms: [String]?
    var sendsIssuerParameter: Bool?
    var codeChallengeMethods: [String]?

    enum CodingKeys: String, CodingKey {
        case issuer
        case authorizationEndpoint = "authorization_endpoint"
        case tokenEndpoint = "token_endpoint"
        case jwksURI = "jwks_uri"
        case userinfoEndpoint = "userinfo_endpoint"
        case signingAlgorithms = "id_token_signing_alg_values_supported"
        case sendsIssuerParameter = "authorization_response_iss_parameter_supported"
        case codeChallengeMethods = "code_challenge_methods_supported"
    }
}
