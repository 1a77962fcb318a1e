package import Foundation
import PostgresNIO
package import RoleSyncOIDC

/// Pending sign-ins, shared by replicas (`pending_logins`, unlogged): a callback may reach another
/// replica than the one its sign-in started on. Entries are opaque here; the relying party encodes
/// and checks them.
extension PostgresEngine: SharedLoginStates {
    /// Keeps `payload` under `key` until `expiresAt`, after dropping what expired by `now`; then
    /// drops the oldest waiting entries beyond `capacity`. One transaction.
    package func putLoginState(key: Data, payload: Data, expiresAt: Date, now: Date, capacity: Int) async throws {
        let logger = self.logger
        try await withConnection { connection in
            try await connection.transaction(logger: logger) { connection in
                try await connection.checkedQuery("DELETE FROM pending_logins WHERE expires_at <= \(now)", logger: logger)
                try await connection.checkedQuery(
                    """
                    INSERT INTO pending_logins (state_hash, payload, created_at, expires_at)
                    VALUES (\(key), \(payload), \(now), \(expiresAt))
                    """,
                    logger: logger
                )
                try await connection.checkedQuery(
                    """
                    DELETE FROM pending_logins WHERE state_hash IN (
                        SELECT state_hash FROM pending_logins WHERE payload IS NOT NULL
                        ORDER BY created_at DESC OFFSET \(capacity))
                    """,
                    logger: logger
                )
            }
        }
    }

    /// Takes the entry under `key` once: the row is locked, its payload returned and cleared, so of
    /// two replicas taking it together the second finds it taken. The row stays until it expires,
    /// so a replay is told from a forgery.
    package func takeLoginState(key: Data) async throws -> SharedLoginState {
        let rows = try await query(
            """
            WITH old AS (SELECT state_hash, payload FROM pending_logins WHERE state_hash = \(key) FOR UPDATE)
            UPDATE pending_logins p SET payload = NULL FROM old WHERE p.state_hash = old.state_hash RETURNING old.payload
            """,
        )
        guard let row = rows.first else { return .unknown }
        return try row.decode(Data?.self).map(SharedLoginState.waiting) ?? .taken
    }
}
