import Hummingbird

/// What every page of the browser surface (the dashboard, the Console, sign-in, error pages) may
/// load: only RoleSync's own style sheet and script, no inline script or style (templates have no
/// `style` attribute), fetches only to this origin; forms post only here; no page may be framed.
enum HTMLPage {
    static let contentSecurityPolicy: ContentSecurityPolicy = [
        .defaultSrc(.none),
        .scriptSrc(.self),
        .styleSrc(.self),
        .imgSrc(.self),
        .connectSrc(.self),
        .formAction(.self),
        .frameAncestors(.none),
        .baseURI(.none),
    ]
}
