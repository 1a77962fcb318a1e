package import Foundation
package import Logging
import NIOPosix
package import RoleSyncConfig
import RoleSyncJSON
package import RoleSyncSCIM

/// A bound connection to a directory server, as ``LDAPDirectory`` reads through it. Calls block;
/// one run uses one session from one thread.
package protocol LDAPSession {
    /// Every entry under `base` (subtree) matching `filter`, with `attributes`, handed to `each`
    /// page by page (RFC 2696 paged results of `pageSize`).
    /// - Throws: ``LDAPError``, and whatever `each` throws.
    func search(base: String, filter: String, attributes: [String], pageSize: Int, each: (LDAPEntry) throws(LDAPError) -> Void) throws(LDAPError)
    /// Unbinds and closes the connection.
    func close()
}

/// How one LDAP directory is read: the server, the trusted CAs, the configured bind and searches
/// (``LDAPSettings``, whose fields read through), the page size and the time each call may take.
@dynamicMemberLookup
package struct LDAPOptions: Sendable, Equatable {
    /// `ldaps://host[:port]` or `ldap://host[:port]`.
    package var url: URL
    /// A PEM file of CA certificates to trust; else the system's.
    package var caFile: String?
    package var settings: LDAPSettings
    /// Entries per page (at most 1,000: Active Directory's default `MaxPageSize`).
    package var pageSize: Int
    /// How long connecting, and each search page, may take.
    package var timeout: Duration

    package init(url: URL, caFile: String? = nil, settings: LDAPSettings, pageSize: Int = 500, timeout: Duration = .seconds(30)) {
        self.url = url
        self.caFile = caFile
        self.settings = settings
        self.pageSize = min(max(1, pageSize), 1_000)
        self.timeout = timeout
    }

    package subscript<Value>(dynamicMember path: WritableKeyPath<LDAPSettings, Value>) -> Value {
        get { settings[keyPath: path] }
        set { settings[keyPath: path] = newValue }
    }
}

/// Reads an LDAP directory (OpenLDAP, 389 Directory Server, Active Directory) through OpenLDAP's
/// client library:
///
/// - Users: a paged subtree search (RFC 2696) under `users.base` for `users.filter`. A user's id is
///   the `match_by` attribute's value (`objectGUID` written as a GUID); one without it cannot be
///   matched and is left out.
/// - Groups: a paged search under `groups.base` for `groups.filter`; a group's name is its `cn`,
///   its id its DN.
/// - Membership, nested groups included:
///   - Active Directory: for each group, the users that are members through any chain of groups
///     (`memberOf:1.2.840.113556.1.4.1941:=<group DN>`, the in-chain matching rule), so the
///     server resolves the nesting.
///   - Elsewhere: the groups' `member_attribute` (member DNs), walked through groups that are
///     members of groups; a cycle is logged and walked once.
/// - Inactive: on Active Directory, `userAccountControl` with the disabled bit (2); elsewhere, an
///   administrative lock of the password policy overlay (`pwdAccountLockedTime` of
///   `000001010000Z`: a lock after failed binds expires, and is not a leaver). A user the filter
///   no longer selects is missing from the listing, and so deactivated.
///
/// Any failure throws ``LDAPError``: the listing is incomplete and must decide nothing.
package struct LDAPDirectory: Sendable {
    package var options: LDAPOptions
    var logger: Logger
    /// Opens a bound session (OpenLDAP's library; tests give a scenario).
    var connect: @Sendable (LDAPOptions, DirectoryReadMeter) throws(LDAPError) -> any LDAPSession
    package let meter = DirectoryReadMeter()
    /// Active Directory's LDAP_MATCHING_RULE_IN_CHAIN.
    package static let inChainRule = "1.2.840.113556.1.4.1941"
    /// Set on `userAccountControl` when the account is disabled (ADS_UF_ACCOUNTDISABLE).
    package static let accountDisabled = 2
    /// What the password policy overlay writes for an account locked until an administrator
    /// unlocks it (draft-behera-ldap-password-policy §5.3.3).
    package static let permanentLock = "000001010000Z"

    package init(
        options: LDAPOptions,
        logger: Logger,
        connect: @escaping @Sendable (LDAPOptions, DirectoryReadMeter) throws(LDAPError) -> any LDAPSession = { (options, meter) throws(LDAPError) in
            try LibLDAPSession(options: options, meter: meter)
        }
    ) {
        self.options = options
        self.logger = logger
        self.connect = connect
    }

    /// The whole directory, read on a thread of NIO's blocking pool (the library's calls block).
    /// - Parameter attributes: further user attributes to keep for the mapping, by name.
    package func snapshot(keeping attributes: [String] = []) async throws(LDAPError) -> DirectorySnapshot {
        let options = options
        let logger = logger
        let connect = connect
        let meter = meter
        do {
            return try await NIOThreadPool.singleton.runIfActive {
                let session = try connect(options, meter)
                defer { session.close() }
                return try Self.read(session, options: options, keeping: attributes, logger: logger)
            }
        } catch let error as LDAPError {
            throw error
        } catch {
            throw .unreachable(url: options.url.absoluteString, reason: "the read could not run: \(error)")
        }
    }

    /// Lists users, groups and memberships through one session.
    package static func read(
        _ session: any LDAPSession,
        options: LDAPOptions,
        keeping attributes: [String] = [],
        logger: Logger
    ) throws(LDAPError) -> DirectorySnapshot {
        var users: [DirectoryUser] = []
        var position: [String: Int] = [:]
        var unmatchable = 0
        var wanted = [options.matchAttribute, options.emailAttribute, options.nameAttribute]
        wanted += options.activeDirectory ? ["sAMAccountName", "userAccountControl"] : ["uid", "pwdAccountLockedTime"]
        wanted += attributes
        try session.search(base: options.userBase, filter: options.userFilter, attributes: unique(wanted), pageSize: options.pageSize) {
            (entry) throws(LDAPError) in
            guard let user = try Self.user(entry, options: options, keeping: attributes) else {
                unmatchable += 1
                return
            }
            position[LDAPName.normalized(entry.dn)] = users.count
            users.append(user)
        }
        if unmatchable > 0 {
            logger.warning(
                "LDAP users without the match attribute were left out of the listing",
                metadata: ["count": "\(unmatchable)", "match_by": "\(options.matchAttribute)"]
            )
        }
        struct Group {
            var dn: String
            var name: String
            var members: [String]
        }
        var groups: [Group] = []
        let groupAttributes = options.activeDirectory ? ["cn"] : ["cn", options.memberAttribute]
        try session.search(base: options.groupBase, filter: options.groupFilter, attributes: groupAttributes, pageSize: options.pageSize) {
            (entry) throws(LDAPError) in
            guard LDAPName.parse(entry.dn) != nil else { throw .malformed(dn: entry.dn, reason: "the server sent a name that is not a DN") }
            let name = entry.string("cn") ?? LDAPName.leadingValue(entry.dn) ?? entry.dn
            let members = options.activeDirectory ? [] : entry.strings(options.memberAttribute).map(Self.memberDN)
            groups.append(Group(dn: entry.dn, name: name, members: members))
        }
        if options.activeDirectory {
            for group in groups {
                let filter = "(&\(wrapped(options.userFilter))(memberOf:\(inChainRule):=\(LDAPName.filterEscaped(group.dn))))"
                try session.search(base: options.userBase, filter: filter, attributes: ["1.1"], pageSize: options.pageSize) {
                    (entry) throws(LDAPError) in
                    // A member the user listing did not have (created since) is not in this snapshot.
                    guard let index = position[LDAPName.normalized(entry.dn)] else { return }
                    users[index].add(group: group.name, id: group.dn)
                }
            }
        } else {
            var groupIndex: [String: Int] = [:]
            for (index, group) in groups.enumerated() { groupIndex[LDAPName.normalized(group.dn)] = index }
            let normalizedMembers = groups.map { $0.members.map(LDAPName.normalized) }
            var cycles: Set<String> = []
            for (root, group) in groups.enumerated() {
                var seenGroups: Set<Int> = [root]
                var seenUsers: Set<Int> = []
                var queue = [root]
                while let next = queue.popLast() {
                    for member in normalizedMembers[next] {
                        if let user = position[member] {
                            if seenUsers.insert(user).inserted { users[user].add(group: group.name, id: group.dn) }
                        } else if let nested = groupIndex[member] {
                            if nested == root { cycles.insert(group.dn) }
                            if seenGroups.insert(nested).inserted { queue.append(nested) }
                        }
                    }
                }
            }
            if !cycles.isEmpty {
                logger.warning(
                    "LDAP groups are members of themselves through nested groups; each is counted once",
                    metadata: ["groups": "\(cycles.sorted().prefix(10).joined(separator: "; "))", "count": "\(cycles.count)"]
                )
            }
        }
        return DirectorySnapshot(sortingMembershipsOf: users, groupCount: groups.count)
    }

    /// A directory user from an entry; `nil` when it lacks the match attribute.
    /// - Throws: ``LDAPError/malformed(dn:reason:)`` for a name that is not a DN or a
    ///   `userAccountControl` that is not a number.
    package static func user(_ entry: LDAPEntry, options: LDAPOptions, keeping attributes: [String]) throws(LDAPError) -> DirectoryUser? {
        guard LDAPName.parse(entry.dn) != nil else { throw .malformed(dn: entry.dn, reason: "the server sent a name that is not a DN") }
        guard let id = entry.string(options.matchAttribute) else { return nil }
        var active = true
        if options.activeDirectory {
            if let control = entry.string("userAccountControl") {
                guard let flags = Int32(control) else {
                    throw .malformed(dn: entry.dn, reason: "userAccountControl '\(control.prefix(20))' is not a number")
                }
                active = Int(flags) & accountDisabled == 0
            }
        } else if entry.strings("pwdAccountLockedTime").contains(permanentLock) {
            active = false
        }
        var kept: [String: ClaimValue] = [:]
        for name in attributes {
            let values = entry.strings(name)
            if values.count == 1 {
                kept[name] = .string(values[0])
            } else if !values.isEmpty {
                kept[name] = .array(values.map(ClaimValue.string))
            }
        }
        if attributes.contains(where: { $0.lowercased() == "dn" }) { kept["dn"] = .string(entry.dn) }
        return DirectoryUser(
            id: id,
            externalId: nil,
            userName: entry.string(options.activeDirectory ? "sAMAccountName" : "uid"),
            isActive: active,
            email: entry.string(options.emailAttribute),
            name: entry.string(options.nameAttribute),
            groups: [],
            attributes: kept
        )
    }

    /// A member value as a DN: `uniqueMember`'s optional `#'…'B` unique identifier dropped.
    static func memberDN(_ value: String) -> String {
        guard let hash = value.lastIndex(of: "#"), value[value.index(after: hash)...].hasPrefix("'"), value.hasSuffix("'B") else { return value }
        return String(value[..<hash])
    }

    /// A filter in parentheses, as a component of `(&…)` needs.
    static func wrapped(_ filter: String) -> String {
        filter.hasPrefix("(") ? filter : "(\(filter))"
    }

    static func unique(_ names: [String]) -> [String] {
        var seen: Set<String> = []
        return names.filter { seen.insert($0.lowercased()).inserted }
    }
}
