import Hummingbird
import RoleSyncLedger

extension LedgerError {
    /// The status an admin API refusal answers with.
    var httpStatus: HTTPResponse.Status {
        switch self {
        case .userNotFound: .notFound
        case .roleManagedByIdP, .mappingNotLoaded, .lastSuperAdmin, .deactivatedByIdP, .safetyValve: .conflict
        case .escalation, .notPermitted: .forbidden
        case .contention: .serviceUnavailable
        case .invalidKey: .unprocessableContent
        case .keyNotFound: .notFound
        case .keyAlreadyRevoked, .keyNameTaken, .keyOwnerInactive, .keyNotRollable: .conflict
        case .adminKeyNeedsAdminRole, .keyRollNotPermitted: .forbidden
        case .invalidOverride: .unprocessableContent
        case .overrideNotPermitted: .forbidden
        case .overrideNotNeeded, .userInactive, .overrideRefused: .conflict
        case .noOverride: .notFound
        case .reviewOutdated: .conflict
        case .reviewIncomplete: .unprocessableContent
        case .reviewNotFound: .notFound
        }
    }

    var title: String {
        switch self {
        case .userNotFound: "No such user"
        case .roleManagedByIdP: "Role managed by the identity provider"
        case .mappingNotLoaded: "Mapping not loaded"
        case .lastSuperAdmin: "Last active super_admin"
        case .deactivatedByIdP: "Deactivated by the identity provider"
        case .escalation: "Only a super_admin may do this"
        case .notPermitted: "Not permitted"
        case .contention: "Busy"
        case .invalidKey: "Invalid key request"
        case .keyNotFound: "No such key"
        case .keyAlreadyRevoked: "Key already revoked"
        case .keyNameTaken: "Key name taken"
        case .keyNotRollable: "Key cannot be rolled"
        case .keyRollNotPermitted: "Not permitted"
        case .keyOwnerInactive: "Owner inactive"
        case .adminKeyNeedsAdminRole: "Admin keys need an admin"
        case .safetyValve: "Safety valve tripped"
        case .invalidOverride: "Invalid override"
        case .overrideRefused: "Override refused"
        case .overrideNotPermitted: "Only a super_admin may do this"
        case .overrideNotNeeded: "Role not managed by the identity provider"
        case .userInactive: "User inactive"
        case .noOverride: "No override in force"
        case .reviewOutdated: "Holders changed"
        case .reviewIncomplete: "Review incomplete"
        case .reviewNotFound: "No such review"
        }
    }
}
