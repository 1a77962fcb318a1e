import Crypto
import Foundation
import Hummingbird

/// The few HTML pages RoleSync serves itself: sign-in links, the signed-in summary, and refusals.
/// Everything interpolated is escaped.
enum HTMLPage {
    /// The pages' only style sheet, inline; the Content-Security-Policy allows exactly this text (by
    /// its hash), and no script at all.
    static let style = """
        body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1b1b1b}\
        code{background:#f2f2f2;padding:0 .25rem;border-radius:3px}\
        .muted{color:#666;font-size:.9rem}\
        a.button,button{display:inline-block;padding:.4rem .9rem;border:1px solid #335;border-radius:4px;background:#f5f6fa;\
        color:#113;text-decoration:none;font:inherit;cursor:pointer}\
        dl{display:grid;grid-template-columns:max-content auto;gap:.25rem 1rem}dt{font-weight:600}
        """

    /// Nothing loads but the style above; forms post only here; no page may be framed.
    static let contentSecurityPolicy: ContentSecurityPolicy = [
        .defaultSrc(.none),
        .styleSrc(.hash(.sha256, base64: Data(SHA256.hash(data: Data(style.utf8))).base64EncodedString())),
        .formAction(.self),
        .frameAncestors(.none),
        .baseURI(.none),
    ]

    /// A page as a response: HTML, never cached, no referrer sent on.
    static func response(_ status: HTTPResponse.Status, _ page: String) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .init("Referrer-Policy")!: "no-referrer",
            ],
            body: .init(byteBuffer: ByteBuffer(string: page))
        )
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A whole page around a body of already-escaped HTML.
    static func page(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title)) · RoleSync</title>
        <style>\(style)</style>
        </head>
        <body>
        <h1>\(escape(title))</h1>
        \(body)
        </body>
        </html>
        """
    }

    /// A refusal or error: what happened, the stable code, and the request id to quote.
    static func problem(title: String, code: String, message: String, requestID: String) -> String {
        page(
            title: title,
            body: """
                <p>\(escape(message))</p>
                <p class="muted">Error code <code>\(escape(code))</code> · request <code>\(escape(requestID))</code></p>
                <p><a class="button" href="/">Back to RoleSync</a></p>
                """
        )
    }
}
