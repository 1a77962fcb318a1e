import Foundation
import Hummingbird
import Logging
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncReports

/// Every key on the platform (`/api/admin/keys/...`), each route behind its ``AdminRoute``
/// permission: the list, an admin key created, a key's detail, any key revoked or rolled.
struct AdminKeysController: Sendable {
    let actions: KeyAPIHandlers

    func addRoutes(to admin: RouterGroup<RoleSyncRequestContext>) {
        admin.on(.listKeys) { request, context in try await self.actions.listKeys(request, context) }
        admin.on(.createKey) { request, context in
            try await self.actions.createKey(request, context, allowingPurpose: true)
        }
        admin.on(.showKey) { _, context in try await self.actions.showKey(try AdminInput.keyID(context)) }
        admin.on(.revokeKey) { request, context in
            try await self.actions.revokeKey(try AdminInput.keyID(context), request, context, asOwner: false)
        }
        admin.on(.revokeKeys) { request, context in try await self.actions.revokeKeys(request, context) }
        admin.on(.rollKey) { request, context in
            try await self.actions.rollKey(try AdminInput.keyID(context), request, context, asOwner: false)
        }
    }
}
