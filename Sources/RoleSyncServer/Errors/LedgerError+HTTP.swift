import Hummingbird
import RoleSyncLedger

extension LedgerError {
    /// The status an admin API refusal answers with.
    var httpStatus: HTTPResponse.Status {
        switch self {
        case .userNotFound: .notFound
        case .roleManagedByIdP, .lastSuperAdmin, .deactivatedByIdP, .safetyValve: .conflict
        case .escalation, .notPermitted: .forbidden
        case .contention: .serviceUnavailable
        case .invalidToken: .badRequest
        }
    }

    var title: String {
        switch self {
        case .userNotFound: "No such user"
        case .roleManagedByIdP: "Role managed by the identity provider"
        case .lastSuperAdmin: "Last active super_admin"
        case .deactivatedByIdP: "Deactivated by the identity provider"
        case .escalation: "Only a super_admin may do this"
        case .notPermitted: "Not permitted"
        case .contention: "Busy"
        case .invalidToken: "Invalid token request"
        case .safetyValve: "Safety valve tripped"
        }
    }
}
