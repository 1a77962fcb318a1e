import Hummingbird

/// `GET /assets/app.css` and `/assets/app.js`: the dashboard's only style sheet and script, compiled
/// into the binary (``StaticAsset``).
struct AssetsController: Sendable {
    /// `GET /assets/app.css` and `/assets/app.js`: the dashboard's only style sheet and script,
    /// compiled into the binary (``StaticAsset``).
    func addRoutes(to assets: RouterGroup<RoleSyncRequestContext>) {
        for asset in StaticAsset.all {
            assets.get(RouterPath(String(asset.path.dropFirst("/assets/".count)))) { request, _ in
                if request.headers[.ifNoneMatch] == "\"\(asset.version)\"" {
                    return Response(status: .notModified, headers: [.eTag: "\"\(asset.version)\""])
                }
                return asset.response
            }
        }
    }
}
