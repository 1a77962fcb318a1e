import Crypto
import Foundation
import Hummingbird
import Mustache
import RoleSyncJSON

/// The dashboard's templates, style sheet and script (`Sources/RoleSyncServer/Assets/`), compiled
/// into the binary by SwiftPM (`embedInCode`), and how a page leaves the server.
///
/// Templates are Mustache: `{{value}}` is HTML-escaped (`<`, `>`, `&`, `"`, `'`), so a name such
/// as `<script>` renders as text; no template uses the unescaped `{{{ }}}` form.
enum PageRenderer {
    /// Every template by name, as `{{> name}}` and `{{< name}}` refer to them.
    static let templateSources: [String: [UInt8]] = [
        "layout": PackageResources.layout_mustache,
        "bare": PackageResources.bare_mustache,
        "home": PackageResources.home_mustache,
        "message": PackageResources.message_mustache,
        "users": PackageResources.users_mustache,
        "users-results": PackageResources.users_results_mustache,
        "user": PackageResources.user_mustache,
        "audit-rows": PackageResources.audit_rows_mustache,
        "pager": PackageResources.pager_mustache,
        "exports": PackageResources.exports_mustache,
        "reviews": PackageResources.reviews_mustache,
        "review": PackageResources.review_mustache,
        "confirm": PackageResources.confirm_mustache,
        "keys": PackageResources.keys_mustache,
        "keys-results": PackageResources.keys_results_mustache,
        "keys-revoke": PackageResources.keys_revoke_mustache,
        "key": PackageResources.key_mustache,
        "audit": PackageResources.audit_mustache,
        "mapping": PackageResources.mapping_mustache,
        "directory": PackageResources.directory_mustache,
        "events": PackageResources.events_mustache,
        "console-keys": PackageResources.console_keys_mustache,
    ]

    /// The templates, parsed once. A template that does not parse is a programming error caught by
    /// the tests (every template is rendered there), so it stops the server at its first page.
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, bytes) in templateSources {
            do {
                try library.register(String(decoding: bytes, as: UTF8.self), named: name)
            } catch {
                preconditionFailure("the template '\(name)' does not parse: \(error)")
            }
        }
        return library
    }()

    /// `template` rendered with `model` (a view model from `Pages/`).
    static func render(_ template: String, _ model: Any) -> String {
        guard let html = library.render(model, withTemplate: template) else {
            preconditionFailure("no template is called '\(template)'")
        }
        return html
    }

    /// A page as a response: HTML, never cached (it shows one person's view at one moment), no
    /// referrer sent to another site. (`no-referrer` would make Chromium send `Origin: null` with
    /// the page's own form posts, which the origin check must then refuse.)
    static func response(_ status: HTTPResponse.Status = .ok, _ html: String) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .init("Referrer-Policy")!: "same-origin",
            ],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }

    /// `template` rendered with `model`, as a response.
    static func page(_ template: String, _ model: Any, status: HTTPResponse.Status = .ok) -> Response {
        response(status, render(template, model))
    }
}

/// A first-party static file: the style sheet or the script. Pages link it with its content hash in
/// the query (`/assets/app.css?v=…`), so it may be cached for a year: a new build links a new URL.
struct StaticAsset: Sendable {
    let path: String
    let contentType: String
    let body: ByteBuffer
    /// The first 12 characters of the content's SHA-256, base64url.
    let version: String

    init(path: String, contentType: String, bytes: [UInt8]) {
        self.path = path
        self.contentType = contentType
        body = ByteBuffer(bytes: bytes)
        version = String(Base64URL.encode(Data(SHA256.hash(data: bytes))).prefix(12))
    }

    /// Where pages link it.
    var href: String { "\(path)?v=\(version)" }

    var response: Response {
        Response(
            status: .ok,
            headers: [
                .contentType: contentType,
                .cacheControl: "public, max-age=31536000, immutable",
                .eTag: "\"\(version)\"",
            ],
            body: .init(byteBuffer: body)
        )
    }

    static let styleSheet = StaticAsset(path: "/assets/app.css", contentType: "text/css; charset=utf-8", bytes: PackageResources.app_css)
    static let script = StaticAsset(
        path: "/assets/app.js",
        contentType: "text/javascript; charset=utf-8",
        bytes: PackageResources.app_js
    )
    static let all = [styleSheet, script]
}
