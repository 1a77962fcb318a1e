package import RoleSyncLedger

/// A user as every surface shows one in JSON: the admin API's lists and detail, `rolesync users
/// list`, `show` and `sign-in`. Every key is always present (null rather than missing), so scripts
/// and clients read one shape.
package struct UserReport: Encodable, Sendable {
    /// Who decides the role: the IdP, naming the mapping file and rule, or people (`manual`).
    package struct RoleManagedBy: Encodable, Sendable, Hashable {
        package var kind: String
        package var mappingFile: String?
        package var rule: String?

        package init(_ eligibility: Eligibility) {
            if eligibility.isCovered {
                kind = "idp"
                mappingFile = eligibility.mappingFile
                rule = eligibility.ruleID
            } else if let issuer = eligibility.unloadedIssuer {
                // Only the command line without the configuration says this.
                kind = "unknown"
                unloadedIssuer = issuer
            } else {
                kind = "manual"
            }
        }

        /// For `unknown`: the issuer no loaded mapping governs.
        package var unloadedIssuer: String?

        enum CodingKeys: String, CodingKey {
            case kind, rule
            case mappingFile = "mapping_file"
            case unloadedIssuer = "no_mapping_loaded_for"
        }

        package func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(kind, forKey: .kind)
            if kind == "idp" {
                try c.encode(mappingFile, forKey: .mappingFile)
                try c.encode(rule, forKey: .rule)
            }
            if kind == "unknown" { try c.encode(unloadedIssuer, forKey: .unloadedIssuer) }
        }
    }

    package var user: User
    package var eligibility: Eligibility

    package init(_ user: User, eligibility: Eligibility) {
        self.user = user
        self.eligibility = eligibility
    }

    enum CodingKeys: String, CodingKey {
        case id, issuer, subject, email, name, role, status
        case organizationUnit = "organization_unit"
        case roleSource = "role_source"
        case roleManagedBy = "role_managed_by"
        case manualRoleEditable = "manual_role_editable"
        case deactivationReason = "deactivation_reason"
        case deactivationSource = "deactivation_source"
        case registeredAt = "registered_at"
        case lastSignInAt = "last_sign_in_at"
        case signInCount = "sign_in_count"
        case override
    }

    /// A break-glass override as JSON shows it.
    package struct Override: Encodable, Sendable {
        package var override: RoleOverride

        enum CodingKeys: String, CodingKey {
            case role, until, reason
            case grantedBy = "granted_by"
            case grantedAt = "granted_at"
            case previousRole = "previous_role"
        }

        package func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(override.role.rawValue, forKey: .role)
            try c.encode(Timestamp.format(override.until), forKey: .until)
            try c.encode(override.reason, forKey: .reason)
            try c.encode(override.grantedBy.description, forKey: .grantedBy)
            try c.encode(Timestamp.format(override.grantedAt), forKey: .grantedAt)
            try c.encode(override.previousRole.rawValue, forKey: .previousRole)
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(user.id.rawValue, forKey: .id)
        try c.encode(user.issuer, forKey: .issuer)
        try c.encode(user.subject, forKey: .subject)
        try c.encode(user.email, forKey: .email)
        try c.encode(user.name, forKey: .name)
        try c.encode(user.organizationUnit, forKey: .organizationUnit)
        try c.encode(user.role.rawValue, forKey: .role)
        try c.encode(user.roleSource.rawValue, forKey: .roleSource)
        try c.encode(RoleManagedBy(eligibility), forKey: .roleManagedBy)
        try c.encode(eligibility.isManualRoleEditable, forKey: .manualRoleEditable)
        try c.encode(user.status.rawValue, forKey: .status)
        try c.encode(user.deactivationReason?.rawValue, forKey: .deactivationReason)
        try c.encode(user.deactivationSource?.rawValue, forKey: .deactivationSource)
        try c.encode(Timestamp.format(user.registeredAt), forKey: .registeredAt)
        try c.encode(Timestamp.format(user.lastSignInAt), forKey: .lastSignInAt)
        try c.encode(user.signInCount, forKey: .signInCount)
        try c.encode(user.override.map(Override.init), forKey: .override)
    }

    /// `super_admin (IdP-managed: okta.yaml rule 'platform-admins')`, `user (manual, editable by hand)`:
    /// the role in one line, for people.
    package static func roleLine(_ user: User, _ eligibility: Eligibility) -> String {
        if let override = user.override {
            return "\(user.role) (break-glass override until \(Timestamp.format(override.until)): \(override.reason); "
                + "then \(eligibility.mappedRole?.rawValue ?? override.previousRole.rawValue))"
        }
        if eligibility.isCovered {
            return "\(user.role) (IdP-managed: \(eligibility.mappingFile ?? "?") rule '\(eligibility.ruleID ?? "?")')"
        }
        if let issuer = eligibility.unloadedIssuer {
            return "\(user.role) (\(user.roleSource.rawValue); whether the IdP owns it is unknown: no mapping for \(issuer) is loaded)"
        }
        return "\(user.role) (\(user.roleSource.rawValue), editable by hand)"
    }
}

/// One user with what they did: the admin API's `GET /api/admin/users/{id}` and `rolesync users
/// show --format json`.
package struct UserDetailReport: Encodable, Sendable {
    package struct Activity: Encodable, Sendable {
        package var signIns: Int
        package var roleChanges: Int
        package var refusals: Int
        package var activeSessions: Int
        package var lastRefusal: AuditEventReport?

        enum CodingKeys: String, CodingKey {
            case refusals
            case signIns = "sign_ins"
            case roleChanges = "role_changes"
            case activeSessions = "active_sessions"
            case lastRefusal = "last_refusal"
        }

        package func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(signIns, forKey: .signIns)
            try c.encode(roleChanges, forKey: .roleChanges)
            try c.encode(refusals, forKey: .refusals)
            try c.encode(activeSessions, forKey: .activeSessions)
            try c.encode(lastRefusal, forKey: .lastRefusal)
        }
    }

    package var user: UserReport
    package var activity: Activity
    package var recentActivity: [AuditEventReport]

    enum CodingKeys: String, CodingKey {
        case user, activity
        case recentActivity = "recent_activity"
    }

    /// Reads the activity of a user from the ledger.
    /// - Parameters:
    ///   - user: the user as just read.
    ///   - eligibility: what the mappings say of them now.
    ///   - store: the ledger.
    ///   - recent: how many of their latest audit events to include.
    package init(_ detail: UserDetail) {
        user = UserReport(detail.user, eligibility: detail.eligibility)
        activity = Activity(
            signIns: detail.user.signInCount,
            roleChanges: detail.activity.counts[.roleChanged] ?? 0,
            refusals: detail.activity.counts[.signInRefused] ?? 0,
            activeSessions: detail.activity.activeSessions,
            lastRefusal: detail.activity.lastRefusal.map(AuditEventReport.init)
        )
        recentActivity = detail.activity.recent.map(AuditEventReport.init)
    }
}
