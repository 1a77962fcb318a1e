import Foundation
import Logging
import RoleSyncConfig
import RoleSyncJSON
import RoleSyncSCIM
import Testing

@testable import RoleSyncLDAP

/// A directory server in memory for the scenarios no real server produces on demand (a page
/// failing mid-listing, a malformed `userAccountControl`): each search's answer comes from
/// `answer(base, filter)`, handed over in pages; the searches are recorded.
final class ScenarioLDAP: LDAPSession {
    var answer: (_ base: String, _ filter: String) -> [LDAPEntry]
    /// The page (counted over the whole session, from 1) that fails with `failure`.
    var failingPage: Int?
    var failure = LDAPError.search(code: 51, base: "", filter: "", reason: "Server is busy")
    private(set) var searches: [(base: String, filter: String, attributes: [String])] = []
    private(set) var pages = 0
    private(set) var closed = false

    init(answer: @escaping (_ base: String, _ filter: String) -> [LDAPEntry]) {
        self.answer = answer
    }

    func search(base: String, filter: String, attributes: [String], pageSize: Int, each: (LDAPEntry) throws(LDAPError) -> Void) throws(LDAPError) {
        searches.append((base, filter, attributes))
        let entries = answer(base, filter)
        var start = 0
        repeat {
            pages += 1
            if pages == failingPage { throw failure }
            for entry in entries[start..<min(entries.count, start + pageSize)] { try each(entry) }
            start += pageSize
        } while start < entries.count
    }

    func close() { closed = true }
}

/// An entry with text values.
func entry(_ dn: String, _ attributes: [String: [String]]) -> LDAPEntry {
    LDAPEntry(dn: dn, attributes: attributes.mapValues { $0.map { Data($0.utf8) } })
}

@Suite("LDAP directory")
struct LDAPDirectoryTests {
    static let users = "ou=people,dc=example,dc=com"
    static let groups = "ou=groups,dc=example,dc=com"

    static func options(activeDirectory: Bool = false, match: String = "entryUUID", pageSize: Int = 2) -> LDAPOptions {
        LDAPOptions(
            url: URL(string: "ldap://127.0.0.1:3890")!,
            settings: LDAPSettings(
                bindDN: "cn=rolesync,dc=example,dc=com",
                bindPassword: "secret",
                userBase: users,
                groupBase: groups,
                matchAttribute: match,
                activeDirectory: activeDirectory
            ),
            pageSize: pageSize
        )
    }

    /// OpenLDAP-style: Admins holds Platform, which holds ada; Platform and Ops hold each other;
    /// Legacy names members by `uniqueMember` with a unique identifier.
    static func openLDAP(_ base: String, _ filter: String) -> [LDAPEntry] {
        if base == users {
            return [
                entry(
                    "uid=ada,ou=people,dc=example,dc=com",
                    ["entryUUID": ["u-ada"], "mail": ["ada@example.com"], "cn": ["Ada Lovelace"], "uid": ["ada"], "title": ["Engineer"]]
                ),
                entry(
                    "uid=bob,ou=people,dc=example,dc=com",
                    ["entryUUID": ["u-bob"], "mail": ["bob@example.com"], "cn": ["Bob"], "pwdAccountLockedTime": ["000001010000Z"]]
                ),
                entry("uid=cy,ou=people,dc=example,dc=com", ["entryUUID": ["u-cy"], "cn": ["Cy"], "pwdAccountLockedTime": ["20261207031500Z"]]),
                entry("uid=dee,ou=people,dc=example,dc=com", ["entryUUID": ["u-dee"], "cn": ["Dee"], "title": ["Lead", "Architect"]]),
                entry("uid=nobody,ou=people,dc=example,dc=com", ["cn": ["Nobody"]]),
            ]
        }
        return [
            entry("cn=Admins,ou=groups,dc=example,dc=com", ["cn": ["Admins"], "member": ["CN=Platform, OU=Groups,DC=Example,DC=com"]]),
            entry(
                "cn=Platform,ou=groups,dc=example,dc=com",
                ["cn": ["Platform"], "member": ["uid=ada,ou=people,dc=example,dc=com", "cn=Ops,ou=groups,dc=example,dc=com"]]
            ),
            entry(
                "cn=Ops,ou=groups,dc=example,dc=com",
                [
                    "cn": ["Ops"],
                    "member": [
                        "uid=dee,ou=people,dc=example,dc=com", "cn=Platform,ou=groups,dc=example,dc=com", "uid=ghost,ou=people,dc=example,dc=com",
                    ],
                ]
            ),
            entry("cn=Legacy,ou=groups,dc=example,dc=com", ["uniqueMember": ["uid=bob,ou=people,dc=example,dc=com#'0101'B"]]),
        ]
    }

    @Test("OpenLDAP: nested groups walked, a cycle once, locks, and users without the match attribute left out")
    func openLDAPSemantics() throws {
        let session = ScenarioLDAP(answer: Self.openLDAP)
        var options = Self.options()
        options.memberAttribute = "member"
        let snapshot = try LDAPDirectory.read(session, options: options, keeping: ["title", "dn"], logger: Logger(label: "test"))
        let byID = Dictionary(uniqueKeysWithValues: snapshot.users.map { ($0.id, $0) })
        #expect(snapshot.users.map(\.id) == ["u-ada", "u-bob", "u-cy", "u-dee"])
        #expect(snapshot.groupCount == 4)
        let ada = try #require(byID["u-ada"])
        #expect(ada.groups == ["Admins", "Ops", "Platform"])
        #expect(
            ada.groupIDs == [
                "cn=Admins,ou=groups,dc=example,dc=com", "cn=Ops,ou=groups,dc=example,dc=com", "cn=Platform,ou=groups,dc=example,dc=com",
            ]
        )
        #expect(ada.email == "ada@example.com" && ada.name == "Ada Lovelace" && ada.userName == "ada" && ada.isActive)
        #expect(ada.attributes["title"] == .string("Engineer"))
        #expect(ada.attributes["dn"] == .string("uid=ada,ou=people,dc=example,dc=com"))
        #expect(byID["u-dee"]?.groups == ["Admins", "Ops", "Platform"])
        #expect(byID["u-dee"]?.attributes["title"] == .array([.string("Lead"), .string("Architect")]))
        // An administrative lock is a leaver; a lock after failed binds expires and is not.
        #expect(byID["u-bob"]?.isActive == false)
        #expect(byID["u-cy"]?.isActive == true)
        // Legacy's members are under uniqueMember, which this directory is not told to read.
        #expect(byID["u-bob"]?.groups == [])
        #expect(session.searches.map(\.base) == [Self.users, Self.groups])
        #expect(session.searches[1].attributes == ["cn", "member"])
    }

    @Test("uniqueMember's optional unique identifier is dropped from the member's DN")
    func uniqueMember() throws {
        var options = Self.options()
        options.memberAttribute = "uniqueMember"
        let snapshot = try LDAPDirectory.read(ScenarioLDAP(answer: Self.openLDAP), options: options, logger: Logger(label: "test"))
        #expect(snapshot.users.first { $0.id == "u-bob" }?.groups == ["Legacy"])
    }

    @Test("Active Directory: the server resolves nesting per group with the in-chain rule; the disabled bit is a leaver")
    func activeDirectory() throws {
        let group = "CN=R&D (EU)\\, Platform,OU=Groups,DC=corp,DC=example,DC=com"
        let session = ScenarioLDAP { base, filter in
            if filter == LDAPSettings.defaultUserFilter(activeDirectory: true) {
                return [
                    entry(
                        "CN=Ada,OU=People,DC=corp,DC=example,DC=com",
                        ["objectGUID": ["g-ada"], "userAccountControl": ["512"], "sAMAccountName": ["ada"]]
                    ),
                    entry("CN=Bob,OU=People,DC=corp,DC=example,DC=com", ["objectGUID": ["g-bob"], "userAccountControl": ["514"]]),
                ]
            }
            if filter.contains(LDAPDirectory.inChainRule) {
                return [entry("cn=ada,ou=people,dc=corp,dc=example,dc=com", [:]), entry("CN=Stranger,DC=corp,DC=example,DC=com", [:])]
            }
            return [entry(group, ["cn": ["R&D (EU), Platform"]])]
        }
        var options = Self.options(activeDirectory: true, match: "objectGUID")
        options.userBase = "OU=People,DC=corp,DC=example,DC=com"
        let snapshot = try LDAPDirectory.read(session, options: options, logger: Logger(label: "test"))
        #expect(snapshot.users.map(\.isActive) == [true, false])
        #expect(snapshot.users[0].groups == ["R&D (EU), Platform"])
        #expect(snapshot.users[0].groupIDs == [group])
        #expect(snapshot.users[0].userName == "ada")
        #expect(snapshot.users[1].groups == [])
        let chained = try #require(session.searches.last)
        #expect(
            chained.filter
                == "(&(&(objectCategory=person)(objectClass=user))(memberOf:1.2.840.113556.1.4.1941:=CN=R&D \\28EU\\29\\5c, Platform,OU=Groups,DC=corp,DC=example,DC=com))"
        )
        #expect(chained.attributes == ["1.1"])
        // Group members come from the in-chain searches, not the member attribute.
        #expect(session.searches[1].attributes == ["cn"])
    }

    @Test("a page failing mid-listing throws and yields no snapshot")
    func failingPage() {
        for page in 1...5 {
            let session = ScenarioLDAP(answer: Self.openLDAP)
            session.failingPage = page
            #expect(throws: LDAPError.search(code: 51, base: "", filter: "", reason: "Server is busy")) {
                _ = try LDAPDirectory.read(session, options: Self.options(), logger: Logger(label: "test"))
            }
        }
    }

    @Test("a userAccountControl that is not a number is an error naming the entry, not a guess")
    func malformedAccountControl() {
        let session = ScenarioLDAP { _, _ in [entry("CN=Ada,DC=corp", ["objectGUID": ["g"], "userAccountControl": ["disabled"]])] }
        #expect(throws: LDAPError.malformed(dn: "CN=Ada,DC=corp", reason: "userAccountControl 'disabled' is not a number")) {
            _ = try LDAPDirectory.read(session, options: Self.options(activeDirectory: true, match: "objectGUID"), logger: Logger(label: "test"))
        }
    }

    @Test("a name that is not a DN is an error")
    func notADN() {
        let session = ScenarioLDAP { _, _ in [entry("not a dn", ["entryUUID": ["u"]])] }
        #expect(throws: LDAPError.malformed(dn: "not a dn", reason: "the server sent a name that is not a DN")) {
            _ = try LDAPDirectory.read(session, options: Self.options(), logger: Logger(label: "test"))
        }
    }

    @Test("the error messages name the search and never the password")
    func messages() {
        let bind = LDAPError.bind(code: 49, dn: "cn=rolesync,dc=example,dc=com", reason: "Invalid credentials")
        #expect(bind.description.contains("cn=rolesync,dc=example,dc=com") && bind.description.contains("bind_password_env"))
        #expect(!bind.description.contains("secret"))
        let search = LDAPError.search(code: 32, base: "ou=nowhere", filter: "(objectClass=person)", reason: "No such object")
        #expect(
            search.description
                == "the LDAP search under 'ou=nowhere' for (objectClass=person) failed (result 32): No such object (the base does not exist: check directory.users.base and directory.groups.base)"
        )
        #expect(search.code == "ldap_search")
    }
}

@Suite("LDAP names and values")
struct LDAPNameTests {
    @Test("DNs compare ignoring case, spaces around separators and the way a character is escaped")
    func normalized() {
        #expect(LDAPName.normalized("CN=Platform, OU=Groups ,DC=Example,DC=com") == "cn=platform,ou=groups,dc=example,dc=com")
        #expect(LDAPName.normalized("cn=R\\2CD,dc=x") == LDAPName.normalized("CN=r\\,d,DC=X"))
        #expect(LDAPName.normalized("cn=a+uid=b,dc=x") == "cn=a+uid=b,dc=x")
        #expect(LDAPName.normalized("cn=Trailing\\ ,dc=x") == "cn=trailing\\ ,dc=x")
        #expect(LDAPName.leadingValue("cn=R\\, D (EU),ou=g") == "R, D (EU)")
        #expect(LDAPName.parse("no equals sign") == nil)
        #expect(LDAPName.parse("cn=dangling\\") == nil)
        #expect(LDAPName.parse("") == [])
    }

    @Test("filter values escape *, (, ), \\ and NUL, and keep other UTF-8 as it is")
    func filterEscaping() {
        #expect(LDAPName.filterEscaped("a*(b)\\c\u{0}é") == "a\\2a\\28b\\29\\5cc\\00é")
    }

    @Test("objectGUID as Windows writes it, objectSid as S-1-…, other binary as base64")
    func values() {
        let guid = Data([0x78, 0x56, 0x34, 0x12, 0x34, 0x12, 0x78, 0x56, 0x12, 0x34, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc])
        #expect(LDAPValue.text(guid, of: "objectGUID") == "12345678-1234-5678-1234-123456789abc")
        let sid = Data([1, 4, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 0xf6, 0x5b, 0x48, 0xff, 0x84, 0x2c, 0x2c, 0xa0, 0xe8, 0x03, 0, 0])
        #expect(LDAPValue.text(sid, of: "objectSid") == "S-1-5-21-4282932214-2687249540-1000")
        #expect(LDAPValue.text(Data([0xff, 0xfe]), of: "jpegPhoto") == "//4=")
        #expect(LDAPValue.text(Data("entry-uuid".utf8), of: "entryUUID") == "entry-uuid")
    }
}
