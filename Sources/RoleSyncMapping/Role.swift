/// One of the seven platform roles. Nothing else is a valid role anywhere.
///
/// The order of the cases is the order operators see in listings and errors.
package enum Role: String, CaseIterable, Sendable, Codable, Hashable, CustomStringConvertible {
    case superAdmin = "super_admin"
    case modelAdmin = "model_admin"
    case providerAdmin = "provider_admin"
    case mcpAdmin = "mcp_admin"
    case userAdmin = "user_admin"
    case billingAdmin = "billing_admin"
    case user = "user"

    package var description: String { rawValue }

    /// The seven role names, comma-separated, for error messages.
    package static let allNames: String = allCases.map(\.rawValue).joined(separator: ", ")
}
