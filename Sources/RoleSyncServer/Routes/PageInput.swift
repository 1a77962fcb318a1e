import Foundation
import Hummingbird
import HummingbirdCore
import RoleSyncLedger

/// What the dashboard's and the Console's pages read from a request: path ids (a malformed one is
/// the not-found page, as an unknown one is) and a listing's filled query parameters.
enum PageInput {
    /// The header `app.js` sends for a listing's results region only.
    static let fragmentHeader = HTTPFields.Element.Name("X-RoleSync-Fragment")!

    /// The query's parameters with a value: a GET form sends its empty fields (`role=`), which
    /// mean "any".
    static func filledParameters(_ request: Request) -> Parameters {
        Parameters(request.uri.queryParameters.filter { !$0.value.isEmpty })
    }

    static func wantsFragment(_ request: Request) -> Bool {
        request.headers[fragmentHeader] == "results"
    }

    static func userID(_ context: RoleSyncRequestContext) throws -> UserID {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw LedgerError.userNotFound(context.parameters.get("id") ?? "")
        }
        return UserID(id)
    }

    static func keyID(_ context: RoleSyncRequestContext) throws -> Int64 {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else { throw LedgerError.keyNotFound(0) }
        return id
    }
}

extension PageRenderer {
    /// A listing: the whole page, or only its results region for `app.js`. Both vary by the
    /// fragment header, since one URL answers either.
    static func listing(_ request: Request, template: String, fragment: String, _ model: Any) -> Response {
        var response = PageRenderer.page(PageInput.wantsFragment(request) ? fragment : template, model)
        response.headers[.vary] = PageInput.fragmentHeader.rawName
        return response
    }

    /// Post/Redirect/Get: after a change, the browser loads the page that shows it.
    static func seeOther(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }
}

extension Chrome {
    /// The chrome of a page for the signed-in caller.
    init(
        _ title: String,
        _ section: Section?,
        _ context: RoleSyncRequestContext,
        notice: String? = nil,
        error: String? = nil
    ) throws {
        self.init(
            title: title,
            section: section,
            caller: try context.requireIdentity(),
            formToken: context.formToken ?? "",
            notice: notice,
            error: error
        )
    }
}
