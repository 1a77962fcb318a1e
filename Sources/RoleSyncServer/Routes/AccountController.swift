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

/// `GET /api/me`: the caller, with their role as of this very request.
struct AccountController: Sendable {
    let sync: SyncService

    func addRoutes(to api: RouterGroup<RoleSyncRequestContext>) {
        api.get("me") { _, context in
            let caller = try context.requireIdentity()
            return JSONBody(MeResponse(caller.user, self.sync.eligibility(of: caller.user)))
        }
    }
}

/// `GET /`: who is signed in, with links to the dashboard (admins) and the Console, or how to sign
/// in.
struct HomeController: Sendable {
    let sync: SyncService
    let providers: ProviderDirectory

    func addRoutes(to pages: RouterGroup<RoleSyncRequestContext>) {
        pages.get("/") { _, context in self.home(context) }
    }

    func home(_ context: RoleSyncRequestContext) -> Response {
        guard let caller = context.identity else {
            return PageRenderer.page(
                "home",
                HomeModel(title: "Sign in", intro: "You are not signed in.", providers: providers.signInLinks(returnTo: nil), user: nil, csrf: "")
            )
        }
        let user = caller.user
        let signedIn = HomeModel.SignedIn(
            name: user.name ?? "–",
            email: user.email ?? "–",
            role: user.role.rawValue,
            managedBy: RoleManagement(user, sync.eligibility(of: user)).sentence,
            isAdmin: caller.permissions.contains(.readUsers)
        )
        return PageRenderer.page(
            "home",
            HomeModel(title: "Signed in", intro: "", providers: [], user: signedIn, csrf: context.formToken ?? "")
        )
    }
}

extension ProviderDirectory {
    /// One "Sign in with …" link per provider, carrying where to return afterwards.
    func signInLinks(returnTo: String?) -> [HomeModel.Provider] {
        providers.map { provider in
            var components = URLComponents()
            components.path = "/auth/login"
            components.queryItems =
                [URLQueryItem(name: "idp", value: provider.configuration.name)]
                + (returnTo.map { [URLQueryItem(name: "return_to", value: $0)] } ?? [])
            return HomeModel.Provider(name: provider.configuration.name, href: components.string ?? "/auth/login")
        }
    }
}
