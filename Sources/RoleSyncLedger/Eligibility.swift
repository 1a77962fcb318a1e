package import RoleSyncMapping

/// Whether a user's role may be edited by hand: only when no role rule of the current mapping
/// covers their last-known claims (SPEC §3).
package struct Eligibility: Sendable, Hashable {
    /// A role rule matches the user's last claims: the IdP owns the role.
    package var isCovered: Bool
    /// The governing rule and its file, for covered users.
    package var ruleID: String?
    package var mappingFile: String?
    /// The role the mapping gives (covered users).
    package var mappedRole: Role?
    /// `false` when the role depends on unknown claims (then the role is left as it is).
    package var isDetermined: Bool
    /// Set when no mapping governs the user's issuer.
    package var hasNoMapping: Bool
    /// The user's issuer, when this process did not load the configuration's mappings and has none
    /// for it (the command line without `--config`): whether the IdP owns the role is unknown here,
    /// so it is neither covered nor editable.
    package var unloadedIssuer: String?

    /// Manual role edits are allowed for users the mapping does not cover, when it is known.
    package var isManualRoleEditable: Bool { !isCovered && unloadedIssuer == nil }

    /// Coverage of `user` under `mappings`, evaluated on their last claims.
    /// - Parameter complete: whether `mappings` are the configuration's own, so that an issuer
    ///   without one truly has none (`serve`); else such a user's eligibility is unknown.
    package init(of user: User, under mappings: MappingSet, complete: Bool = true) {
        guard let mapping = mappings.mapping(forIssuer: user.issuer) else {
            self.init(isCovered: false, ruleID: nil, mappingFile: nil, mappedRole: nil, isDetermined: true, hasNoMapping: true)
            if !complete { unloadedIssuer = user.issuer }
            return
        }
        self.init(decision: mapping.evaluate(user.lastClaims, tracing: false))
    }

    init(decision: Decision) {
        self.init(
            isCovered: decision.isCovered,
            ruleID: decision.ruleID,
            mappingFile: decision.mappingFile,
            mappedRole: decision.role,
            isDetermined: decision.isRoleDetermined,
            hasNoMapping: false
        )
    }

    init(isCovered: Bool, ruleID: String?, mappingFile: String?, mappedRole: Role?, isDetermined: Bool, hasNoMapping: Bool) {
        self.isCovered = isCovered
        self.ruleID = ruleID
        self.mappingFile = mappingFile
        self.mappedRole = mappedRole
        self.isDetermined = isDetermined
        self.hasNoMapping = hasNoMapping
    }
}
