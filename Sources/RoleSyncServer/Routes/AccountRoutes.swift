import Foundation
import Hummingbird
import HummingbirdAuth
import RoleSyncLedger
import RoleSyncMapping

/// `GET /api/me`: who the session belongs to, with their role as of this very request.
struct MeResponse: Encodable, Sendable {
    struct EligibilityView: Encodable, Sendable {
        var covered: Bool
        var manualRoleEditable: Bool
        var determined: Bool
        var mappingFile: String?
        var rule: String?
        var mappedRole: String?

        enum CodingKeys: String, CodingKey {
            case covered, determined, rule
            case manualRoleEditable = "manual_role_editable"
            case mappingFile = "mapping_file"
            case mappedRole = "mapped_role"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(covered, forKey: .covered)
            try c.encode(manualRoleEditable, forKey: .manualRoleEditable)
            try c.encode(determined, forKey: .determined)
            try c.encode(mappingFile, forKey: .mappingFile)
            try c.encode(rule, forKey: .rule)
            try c.encode(mappedRole, forKey: .mappedRole)
        }
    }

    var id: Int64
    var issuer: String
    var email: String?
    var name: String?
    var role: String
    var roleSource: String
    var status: String
    var eligibility: EligibilityView

    init(_ user: User, _ eligibility: Eligibility) {
        id = user.id.rawValue
        issuer = user.issuer
        email = user.email
        name = user.name
        role = user.role.rawValue
        roleSource = user.roleSource.rawValue
        status = user.status.rawValue
        self.eligibility = EligibilityView(
            covered: eligibility.isCovered,
            manualRoleEditable: eligibility.isManualRoleEditable,
            determined: eligibility.isDetermined,
            mappingFile: eligibility.isCovered ? eligibility.mappingFile : nil,
            rule: eligibility.isCovered ? eligibility.ruleID : nil,
            mappedRole: eligibility.mappedRole?.rawValue
        )
    }

    enum CodingKeys: String, CodingKey {
        case id, issuer, email, name, role, status, eligibility
        case roleSource = "role_source"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(issuer, forKey: .issuer)
        try c.encode(email, forKey: .email)
        try c.encode(name, forKey: .name)
        try c.encode(role, forKey: .role)
        try c.encode(roleSource, forKey: .roleSource)
        try c.encode(status, forKey: .status)
        try c.encode(eligibility, forKey: .eligibility)
    }
}

extension ServerContext {
    /// `GET /api/me`: the caller, with their role as of this very request.
    func addAccountRoutes(to api: RouterGroup<RoleSyncRequestContext>) {
        api.get("me") { _, context in
            let caller = try context.requireIdentity()
            return JSONBody(MeResponse(caller.user, self.sync.eligibility(of: caller.user)))
        }
    }

    /// `GET /`: who is signed in, or how to sign in.
    func addHomeRoutes(to browser: RouterGroup<RoleSyncRequestContext>) {
        browser.get("/") { request, _ in try await self.home(request) }
    }

    /// The active user the request's session cookie belongs to; the role is read fresh.
    func signedInUser(_ request: Request) async throws -> User? {
        guard let token = request.cookies[cookies.session]?.value else { return nil }
        return try await sessions.user(forToken: token)
    }

    func home(_ request: Request) async throws -> Response {
        guard let user = try await signedInUser(request) else {
            return HTMLPage.response(.ok, HTMLPage.page(title: "Sign in", body: "<p>You are not signed in.</p>" + loginLinks()))
        }
        let eligibility = sync.eligibility(of: user)
        let managed =
            eligibility.isCovered
            ? "your identity provider (\(eligibility.mappingFile ?? "?"), rule \(eligibility.ruleID ?? "?"))"
            : (user.roleSource == .manual ? "an administrator" : "the default for people no rule covers")
        let body = """
            <dl>
            <dt>Name</dt><dd>\(HTMLPage.escape(user.name ?? "–"))</dd>
            <dt>Email</dt><dd>\(HTMLPage.escape(user.email ?? "–"))</dd>
            <dt>Role</dt><dd><code>\(HTMLPage.escape(user.role.rawValue))</code></dd>
            <dt>Role set by</dt><dd>\(HTMLPage.escape(managed))</dd>
            </dl>
            <form method="post" action="/auth/logout"><button type="submit">Sign out</button></form>
            """
        return HTMLPage.response(.ok, HTMLPage.page(title: "Signed in", body: body))
    }
}
