import Foundation
import Hummingbird
import Logging
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncMapping
import RoleSyncReports

/// The caller's own API keys on the JSON API (any signed-in user): `GET /api/keys`,
/// `POST /api/keys`, `POST /api/keys/{id}/revoke`, `POST /api/keys/{id}/roll`.
struct ConsoleKeysController: Sendable {
    let actions: KeyAPIHandlers

    func addRoutes(to api: RouterGroup<RoleSyncRequestContext>) {
        api.get("keys") { _, context in
            let caller = try context.requireIdentity()
            let owner = KeyOwner(caller.user)
            let time = self.actions.now()
            let keys = try await self.actions.keys.keys(of: caller.user.id)
            return JSONBody(KeyList(keys: keys.map { KeyReport(OwnedKey(key: $0, owner: owner), at: time) }))
        }
        api.post("keys") { request, context in
            try await self.actions.createKey(request, context, allowingPurpose: false)
        }
        api.post("keys/{id}/revoke") { request, context in
            try await self.actions.revokeKey(try AdminInput.keyID(context), request, context, asOwner: true)
        }
        api.post("keys/{id}/roll") { request, context in
            try await self.actions.rollKey(try AdminInput.keyID(context), request, context, asOwner: true)
        }
    }
}

/// `GET /api/keys`: the caller's keys.
struct KeyList: Encodable, Sendable {
    var keys: [KeyReport]
}
