package import Foundation
package import RoleSyncLedger
package import RoleSyncOIDC
package import RoleSyncReconciler
package import RoleSyncWebhooks

/// Everything the routes need, built once by ``RoleSyncServer`` (or by a test).
package struct ServerContext: Sendable {
    package var sync: SyncService
    package var sessions: SessionService
    /// API keys: the Console's, the admin API's, introspection's.
    package var keys: KeyService
    /// The gateways allowed to introspect keys; none answers every introspection 401.
    package var gateways: [GatewayCredential]
    /// The gateways allowed to ask `/gateway/check`; none answers every check 401.
    package var forwardAuthGateways: [ForwardAuthGateway]
    package var providers: ProviderDirectory
    package var logins: LoginStateStore
    package var cookies: ServerCookies
    /// The origin browsers use; the callback's redirects and the `Origin` check compare with it.
    package var publicURL: URL
    /// Renders the Prometheus exposition for `/metrics`; `nil` serves 404.
    package var metricsExposition: (@Sendable () -> String)?
    package var now: @Sendable () -> Date
    /// The SCIM service provider for IdPs that push; `nil` answers `/scim/v2` with 404.
    package var scim: SCIMService?
    /// The directories `serve` reconciles against (the Directory page and `/api/admin/directory`);
    /// `nil` lists none.
    package var directories: DirectoryDesk?
    /// The webhook endpoints (the Events page, `/api/admin/webhooks`); `nil` for a server without a ledger that keeps them.
    package var webhooks: WebhookDesk?
    /// Where sign-in may return to: paths here, and the https pages of `session.allowed_return_hosts`.
    package var returnAddresses: ReturnAddresses

    package init(
        sync: SyncService,
        sessions: SessionService,
        providers: ProviderDirectory,
        logins: LoginStateStore = LoginStateStore(),
        publicURL: URL,
        metricsExposition: (@Sendable () -> String)? = nil,
        scim: SCIMService? = nil,
        directories: DirectoryDesk? = nil,
        webhooks: WebhookDesk? = nil,
        keyUsage: KeyUsageRecorder = KeyUsageRecorder(),
        keyPolicy: KeyPolicy = KeyPolicy(),
        gateways: [GatewayCredential] = [],
        forwardAuthGateways: [ForwardAuthGateway] = [],
        cookieDomain: String? = nil,
        allowedReturnHosts: [String] = [],
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.scim = scim
        self.directories = directories
        self.webhooks = webhooks
        self.sync = sync
        self.sessions = sessions
        self.keys = KeyService(store: sync.store, usage: keyUsage, policy: keyPolicy, now: now)
        self.gateways = gateways
        self.forwardAuthGateways = forwardAuthGateways
        self.providers = providers
        self.logins = logins
        self.cookies = ServerCookies(isSecure: publicURL.scheme?.lowercased() == "https", domain: cookieDomain)
        self.returnAddresses = ReturnAddresses(allowedHosts: allowedReturnHosts)
        self.publicURL = publicURL
        self.metricsExposition = metricsExposition
        self.now = now
    }

    /// `scheme://host[:port]` of the public URL, as browsers send it in `Origin`.
    var publicOrigin: String {
        var origin = "\(publicURL.scheme?.lowercased() ?? "http")://\(publicURL.host?.lowercased() ?? "")"
        if let port = publicURL.port { origin += ":\(port)" }
        return origin
    }
}
