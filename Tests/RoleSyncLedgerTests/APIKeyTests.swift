import Foundation
import RoleSyncLedger
import RoleSyncMapping
import Testing

@Suite("API key format")
struct APIKeyFormatTests {
    /// A deterministic generator, so a failure is reproducible.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test("A key is rsk_, 36 random base62 characters and a 6-character checksum, and matches the scanners' pattern")
    func shape() throws {
        let pattern = try Regex("^" + APIKeyFormat.scannerPattern + "$")
        var seen = Set<String>()
        for _ in 0..<200 {
            let key = APIKeyFormat.generate()
            #expect(key.utf8.count == 46 && key.hasPrefix("rsk_"))
            #expect(key.wholeMatch(of: pattern) != nil, "\(key)")
            #expect(APIKeyFormat.isWellFormed(key))
            seen.insert(key)
        }
        #expect(seen.count == 200)
    }

    @Test("The checksum is CRC32 of the random part in base62: a known value, and every one-character typo is caught")
    func checksum() {
        var generator = SeededGenerator(state: 42)
        let key = APIKeyFormat.generate(using: &generator)
        var again = SeededGenerator(state: 42)
        #expect(APIKeyFormat.generate(using: &again) == key)
        // Python's zlib.crc32 of these 36 characters is 0x3e29169c, "18Zolg" in base62.
        let random = String(repeating: "123456789", count: 4)
        #expect(APIKeyFormat.isWellFormed("rsk_" + random + "18Zolg"))
        #expect(!APIKeyFormat.isWellFormed("rsk_" + random + "18Zol0"))
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        var characters = Array(key)
        var caught = 0
        var tried = 0
        for index in 4..<characters.count {
            let original = characters[index]
            for replacement in alphabet where replacement != original {
                characters[index] = replacement
                tried += 1
                if !APIKeyFormat.isWellFormed(String(characters)) { caught += 1 }
            }
            characters[index] = original
        }
        #expect(caught == tried, "\(tried - caught) of \(tried) typos passed the checksum")
    }

    @Test(
        "Malformed values are refused without a store read",
        arguments: [
            "", "rsk_", "rsk_short", "RSK_" + String(repeating: "a", count: 42), "rsk-" + String(repeating: "a", count: 42),
            "rsk_" + String(repeating: "a", count: 41) + "!", "rsk_" + String(repeating: "a", count: 43), "Bearer rsk_abc",
            "rs_" + String(repeating: "a", count: 42), "rs_" + String(repeating: "a", count: 42) + "=",
        ]
    )
    func malformed(_ value: String) {
        #expect(!APIKeyFormat.isWellFormed(value))
    }

    @Test("Admin API tokens issued before keys (rs_ and 43 base64url characters) are still recognised")
    func legacy() {
        #expect(APIKeyFormat.isWellFormed("rs_" + String(repeating: "aZ-_", count: 10) + "abc"))
    }

    @Test("The display prefix is the first seven characters and the last four")
    func displayPrefix() {
        #expect(APIKeyFormat.displayPrefix(of: "rsk_Ab3defghijklmnopqrstuvwxyz0123456789x9Qz") == "rsk_Ab3…x9Qz")
    }

    @Test(
        "Lifetimes: 90d, 12h, 30m, 45s and plain seconds; nothing else",
        arguments: [
            ("90d", 7_776_000.0), ("12h", 43_200), ("30m", 1_800), ("45s", 45), ("3600", 3_600),
        ] as [(String, Double)]
    )
    func lifetimes(_ text: String, _ seconds: Double) {
        #expect(KeyService.lifetime(text) == seconds)
    }

    @Test("Bad lifetimes", arguments: ["", "d", "1.5d", "-1d", "90 d", "10w", "soon", "1e3", "99999999999999d"])
    func badLifetimes(_ text: String) {
        #expect(KeyService.lifetime(text) == nil)
    }
}

@Suite("API keys")
struct APIKeyTests {
    func keys(_ h: Harness) -> KeyService {
        KeyService(store: h.store, now: { h.clock.now })
    }

    @Test(
        "Introspection: good for a gateway key; inactive after revocation, expiry, deactivation; never for an admin key",
        arguments: ConformanceKind.all
    )
    func introspection(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        try await h.makeSuperAdmin()
        let bob = try #require(try await h.signIn("bob", groups: ["staff"]).user)
        let keys = keys(h)
        let revoked = try await keys.create(for: bob.id, name: "revoked", lifetime: nil, purpose: .gateway, by: .user(bob.id))
        let expiring = try await keys.create(for: bob.id, name: "expiring", lifetime: 60, purpose: .gateway, by: .user(bob.id))
        let kept = try await keys.create(for: bob.id, name: "kept", lifetime: nil, purpose: .gateway, by: .user(bob.id))
        for created in [revoked, expiring, kept] {
            let credential = try #require(try await keys.introspect(created.value))
            #expect(credential.owner.id == bob.id && credential.owner.role == .user && credential.purpose == .gateway)
            #expect(credential.keyID == created.key.id && credential.expiresAt == created.key.expiresAt)
        }
        // The role is read fresh: a change shows in the next introspection.
        try await h.service.setRole(.mcpAdmin, of: bob.id, by: .cli)
        #expect(try await keys.introspect(kept.value)?.owner.role == .mcpAdmin)

        _ = try await keys.revoke(id: revoked.key.id, cause: .admin, reason: "leaked", by: .cli)
        #expect(try await keys.introspect(revoked.value) == nil)
        h.clock.advance(60)
        #expect(try await keys.introspect(expiring.value) == nil)
        #expect(try await keys.introspect(kept.value) != nil)

        // A one-character change of a good key is malformed; an unknown well-formed key is unknown.
        var typo = Array(kept.value)
        typo[10] = typo[10] == "a" ? "b" : "a"
        #expect(try await keys.introspect(String(typo)) == nil)
        #expect(try await keys.introspect(APIKeyFormat.generate()) == nil)

        try await h.service.setStatus(.inactive, of: bob.id, by: .cli)
        #expect(try await keys.introspect(kept.value) == nil)
        let after = try await h.store.keys(ownerID: bob.id)
        #expect(after.allSatisfy { $0.revokedAt != nil })
        #expect(after.first { $0.name == "kept" }?.revocationCause == .deactivation)

        let root = try await h.user("root")
        let admin = try await keys.create(for: root.id, name: "admin", lifetime: nil, purpose: .admin, by: .cli)
        #expect(try await keys.introspect(admin.value) == nil)
        #expect(try await keys.adminUser(presenting: admin.value)?.id == root.id)
    }

    @Test("An admin key needs an admin owner, and stops working when the owner loses the role", arguments: ConformanceKind.all)
    func adminKeys(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        try await h.makeSuperAdmin()
        let carol = try #require(try await h.signIn("carol", groups: ["staff"]).user)
        let keys = keys(h)
        await #expect(throws: LedgerError.adminKeyNeedsAdminRole(user: carol.displayName, role: .user)) {
            try await keys.create(for: carol.id, name: "admin", lifetime: nil, purpose: .admin, by: .cli)
        }
        try await h.service.setRole(.userAdmin, of: carol.id, by: .cli)
        let admin = try await keys.create(for: carol.id, name: "admin", lifetime: nil, purpose: .admin, by: .cli)
        let gateway = try await keys.create(for: carol.id, name: "gateway", lifetime: nil, purpose: .gateway, by: .cli)
        #expect(try await keys.adminUser(presenting: admin.value)?.role == .userAdmin)
        #expect(try await keys.adminUser(presenting: gateway.value) == nil)
        try await h.service.setRole(.billingAdmin, of: carol.id, by: .cli)
        #expect(try await keys.adminUser(presenting: admin.value) == nil)
    }

    @Test("Creation refuses bad names, lifetimes, inactive owners and a name already active", arguments: ConformanceKind.all)
    func creationRefusals(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        try await h.makeSuperAdmin()
        let bob = try #require(try await h.signIn("bob", groups: ["eng-web"]).user)
        let keys = keys(h)
        for name in ["", "   ", String(repeating: "x", count: 101), "tab\there", "zero\u{200B}width"] {
            await #expect(throws: LedgerError.self, "\(name.debugDescription)") {
                try await keys.create(for: bob.id, name: name, lifetime: nil, purpose: .gateway, by: .cli)
            }
        }
        for lifetime in [0, -1, KeyService.maximumLifetime + 1] {
            await #expect(throws: LedgerError.self) {
                try await keys.create(for: bob.id, name: "ok", lifetime: lifetime, purpose: .gateway, by: .cli)
            }
        }
        let first = try await keys.create(for: bob.id, name: " checkout-service-prod ", lifetime: nil, purpose: .gateway, by: .cli)
        #expect(first.key.name == "checkout-service-prod" && first.key.prefix == APIKeyFormat.displayPrefix(of: first.value))
        #expect(first.key.keyHash == SessionService.hash(first.value) && !first.key.keyHash.contains(first.value))
        await #expect(throws: LedgerError.keyNameTaken("checkout-service-prod")) {
            try await keys.create(for: bob.id, name: "checkout-service-prod", lifetime: nil, purpose: .gateway, by: .cli)
        }
        _ = try await keys.revoke(id: first.key.id, ownerID: bob.id, cause: .owner, reason: nil, by: .user(bob.id))
        _ = try await keys.create(for: bob.id, name: "checkout-service-prod", lifetime: nil, purpose: .gateway, by: .cli)
        try await h.service.setStatus(.inactive, of: bob.id, by: .cli)
        await #expect(throws: LedgerError.keyOwnerInactive(user: bob.displayName)) {
            try await keys.create(for: bob.id, name: "late", lifetime: nil, purpose: .gateway, by: .cli)
        }
        let created = try await h.events("bob", action: .keyCreated)
        #expect(created.count == 2 && created.allSatisfy { $0.details[.prefix] != nil && $0.details[.keyID] != nil })
    }

    @Test(
        "Revocation is permanent and audited with actor, owner, key id, prefix, cause and reason; an owner revokes only their own",
        arguments: ConformanceKind.all
    )
    func revocation(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        try await h.makeSuperAdmin()
        let bob = try #require(try await h.signIn("bob", groups: ["eng-web"]).user)
        let eve = try #require(try await h.signIn("eve", groups: ["eng-web"]).user)
        let keys = keys(h)
        let key = try await keys.create(for: bob.id, name: "ci", lifetime: nil, purpose: .gateway, by: .user(bob.id)).key
        await #expect(throws: LedgerError.keyNotFound(key.id)) {
            try await keys.revoke(id: key.id, ownerID: eve.id, cause: .owner, reason: nil, by: .user(eve.id))
        }
        let revoked = try await keys.revoke(id: key.id, cause: .admin, reason: "  leaked in a CI log ", by: .user(UserID(1)))
        #expect(revoked.owner.id == bob.id && revoked.key.revokedBy == .user(UserID(1)))
        #expect(revoked.key.revocationReason == "leaked in a CI log" && revoked.key.revocationCause == .admin)
        await #expect(throws: LedgerError.keyAlreadyRevoked(id: key.id, prefix: key.prefix)) {
            try await keys.revoke(id: key.id, cause: .admin, reason: "again", by: .cli)
        }
        await #expect(throws: LedgerError.keyNotFound(999)) { try await keys.revoke(id: 999, cause: .admin, reason: "x", by: .cli) }
        let events = try await h.events("bob", action: .keyRevoked)
        #expect(events.count == 1)
        let event = try #require(events.first)
        #expect(event.actor == .user(UserID(1)) && event.userID == bob.id)
        #expect(event.details[.keyID] == .number(Double(key.id)) && event.details[.prefix] == .string(key.prefix))
        #expect(event.details[.cause] == "admin" && event.details[.reason] == "leaked in a CI log")
    }

    @Test(
        "A roll: both keys work until the chosen time, then only the new one; same owner, name, purpose and lifetime; audited once",
        arguments: ConformanceKind.all
    )
    func roll(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        try await h.makeSuperAdmin()
        let bob = try #require(try await h.signIn("bob", groups: ["eng-web"]).user)
        let keys = keys(h)
        let old = try await keys.create(for: bob.id, name: "checkout", lifetime: 30 * 86_400, purpose: .gateway, by: .user(bob.id))
        h.clock.advance(86_400)
        let (rolled, value) = try await keys.roll(id: old.key.id, oldExpiresIn: 2, as: .owner(bob.id), by: .user(bob.id))
        let replacement = rolled.replacement.key
        #expect(replacement.userID == bob.id && replacement.name == "checkout" && replacement.purpose == .gateway)
        #expect(replacement.expiresAt == h.clock.now.addingTimeInterval(30 * 86_400), "the old key's lifetime, from the roll")
        #expect(replacement.prefix == APIKeyFormat.displayPrefix(of: value) && replacement.keyHash == SessionService.hash(value))
        #expect(replacement.rolledFrom == old.key.id && rolled.replaced.key.rolledTo == replacement.id)
        #expect(rolled.replaced.key.expiresAt == h.clock.now.addingTimeInterval(2))
        #expect(try await keys.introspect(old.value)?.keyID == old.key.id, "the old key works during the overlap")
        #expect(try await keys.introspect(value)?.keyID == replacement.id)
        h.clock.advance(2)
        #expect(try await keys.introspect(old.value) == nil, "then it expired")
        #expect(try await keys.introspect(value) != nil)

        let events = try await h.events("bob", action: .keyRolled)
        #expect(events.count == 1)
        let event = try #require(events.first)
        #expect(event.actor == .user(bob.id) && event.details[.keyID] == .number(Double(old.key.id)))
        #expect(event.details[.newKeyID] == .number(Double(replacement.id)) && event.details[.newPrefix] == .string(replacement.prefix))
        #expect(event.details[.prefix] == .string(old.key.prefix) && event.details[.name] == "checkout")
        #expect(try await h.events("bob", action: .keyCreated).count == 1, "a roll is one event, not a creation")

        // A key rolled, revoked or expired is not rolled (again); the replacement is.
        await #expect(throws: LedgerError.self) { try await keys.roll(id: old.key.id, as: .operator, by: .cli) }
        let lasting = try await keys.create(for: bob.id, name: "lasting", lifetime: nil, purpose: .gateway, by: .cli)
        let (again, _) = try await keys.roll(id: lasting.key.id, as: .operator, by: .cli)
        #expect(again.replacement.key.expiresAt == nil, "a key without expiry is replaced by one without expiry")
        #expect(again.replaced.key.expiresAt == h.clock.now.addingTimeInterval(KeyService.defaultRollOverlap))
        await #expect(
            throws: LedgerError.keyNotRollable(
                id: lasting.key.id,
                prefix: lasting.key.prefix,
                "it was rolled already, to key \(again.replacement.key.id); roll that one"
            )
        ) {
            try await keys.roll(id: lasting.key.id, as: .operator, by: .cli)
        }
        let (now, _) = try await keys.roll(id: again.replacement.key.id, oldExpiresIn: 0, as: .operator, by: .cli)
        #expect(now.replaced.key.status(at: h.clock.now) == .expired, "\"now\" ends the old key at once")
        _ = try await keys.revoke(id: now.replacement.key.id, cause: .admin, reason: "test", by: .cli)
        await #expect(throws: LedgerError.keyNotRollable(id: now.replacement.key.id, prefix: now.replacement.key.prefix, "it is revoked")) {
            try await keys.roll(id: now.replacement.key.id, as: .operator, by: .cli)
        }
        for overlap in [-1, KeyService.maximumRollOverlap + 1] {
            await #expect(throws: LedgerError.self) { try await keys.roll(id: replacement.id, oldExpiresIn: overlap, as: .operator, by: .cli) }
        }
        #expect(KeyService.rollOverlap("now") == 0 && KeyService.rollOverlap("7d") == 7 * 86_400)
        #expect(KeyService.rollOverlap("8d") == nil && KeyService.rollOverlap("later") == nil)
    }

    @Test(
        "Who may roll: the owner their own; an admin any gateway key but a super_admin's (unless one) and no one else's admin key",
        arguments: ConformanceKind.all
    )
    func rollAuthority(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        try await h.makeSuperAdmin()
        let root = try await h.user("root")
        let bob = try #require(try await h.signIn("bob", groups: ["eng-web"]).user)
        let eve = try #require(try await h.signIn("eve", groups: ["staff"]).user)
        try await h.service.setRole(.userAdmin, of: eve.id, by: .cli)
        let keys = keys(h)
        let bobs = try await keys.create(for: bob.id, name: "ci", lifetime: nil, purpose: .gateway, by: .cli)
        let roots = try await keys.create(for: root.id, name: "root-gw", lifetime: nil, purpose: .gateway, by: .cli)
        let rootAdmin = try await keys.create(for: root.id, name: "root-admin", lifetime: nil, purpose: .admin, by: .cli)
        let evesAdmin = try await keys.create(for: eve.id, name: "eve-admin", lifetime: nil, purpose: .admin, by: .cli)
        let anybody = try await h.events("bob", action: .keyRolled).count

        await #expect(throws: LedgerError.keyNotFound(bobs.key.id), "another's key is not found in the Console") {
            try await keys.roll(id: bobs.key.id, as: .owner(eve.id), by: .user(eve.id))
        }
        for key in [roots, rootAdmin] {
            await #expect(throws: LedgerError.self, "a user_admin may not roll a super_admin's key") {
                try await keys.roll(id: key.key.id, as: .admin(id: eve.id, role: .userAdmin), by: .user(eve.id))
            }
        }
        await #expect(throws: LedgerError.self, "nor may a super_admin roll another's admin key") {
            try await keys.roll(id: evesAdmin.key.id, as: .admin(id: root.id, role: .superAdmin), by: .user(root.id))
        }
        #expect(try await h.events("bob", action: .keyRolled).count == anybody)
        #expect(
            try await keys.roll(id: bobs.key.id, as: .admin(id: eve.id, role: .userAdmin), by: .user(eve.id)).rolled.replacement.key.userID == bob.id
        )
        #expect(
            try await keys.roll(id: roots.key.id, as: .admin(id: root.id, role: .superAdmin), by: .user(root.id)).rolled.replacement.key.purpose
                == .gateway
        )
        #expect(
            try await keys.roll(id: evesAdmin.key.id, as: .admin(id: eve.id, role: .userAdmin), by: .user(eve.id)).rolled.replacement.key.purpose
                == .admin
        )

        // An admin key whose owner lost the admin role, or a key of an inactive owner, is not rolled.
        let rolledAdmin = try #require(try await h.store.keys(ownerID: eve.id).first { $0.purpose == .admin && $0.rolledTo == nil })
        try await h.service.setRole(.user, of: eve.id, by: .cli)
        await #expect(throws: LedgerError.adminKeyNeedsAdminRole(user: eve.displayName, role: .user)) {
            try await keys.roll(id: rolledAdmin.id, as: .operator, by: .cli)
        }
    }

    @Test(
        "The key policy: max_lifetime bounds new keys and rolls; stale keys are listed and counted; revoke_stale_after revokes them, audited",
        arguments: ConformanceKind.all
    )
    func policy(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        try await h.makeSuperAdmin()
        let bob = try #require(try await h.signIn("bob", groups: ["eng-web"]).user)
        let open = keys(h)
        let forever = try await open.create(for: bob.id, name: "forever", lifetime: nil, purpose: .gateway, by: .cli)
        let used = try await open.create(for: bob.id, name: "used", lifetime: nil, purpose: .gateway, by: .cli)
        let unused = try await open.create(for: bob.id, name: "unused", lifetime: 400 * 86_400, purpose: .gateway, by: .cli)
        let day: TimeInterval = 86_400
        let policy = KeyPolicy(maxLifetime: 90 * day, staleAfter: 30 * day, revokeStaleAfter: 60 * day)
        let keys = KeyService(store: h.store, policy: policy, now: { h.clock.now })

        await #expect(
            throws: LedgerError.invalidKey(field: "expires_in", "keys expire within 90d here (keys.max_lifetime): give an expiry of at most 90d")
        ) {
            try await keys.create(for: bob.id, name: "new", lifetime: nil, purpose: .gateway, by: .cli)
        }
        await #expect(throws: LedgerError.self) { try await keys.create(for: bob.id, name: "new", lifetime: 91 * day, purpose: .gateway, by: .cli) }
        _ = try await keys.create(for: bob.id, name: "new", lifetime: 90 * day, purpose: .gateway, by: .cli)
        let over = try await h.store.keys(matching: KeysQuery(status: .active, lifetimeLongerThan: 90 * day), at: h.clock.now).keys
        #expect(Set(over.map(\.key.name)) == ["forever", "used", "unused"], "existing keys are kept, and listed")

        // 40 days on: "used" was used 20 days ago; the others are stale (never used, made 40 days ago).
        h.clock.advance(20 * day)
        _ = try await keys.introspect(used.value)
        try await keys.usage.flush(to: h.store)
        h.clock.advance(20 * day)
        #expect(try await keys.staleKeyCount() == 3, "forever, unused and new are unused for 30 days")
        let stale = try await keys.keys(matching: KeysQuery(status: .active, unusedSince: try #require(keys.staleBefore())))
        #expect(Set(stale.keys.map(\.key.name)) == ["forever", "unused", "new"])
        #expect(try await keys.revokeStaleKeys().isEmpty, "none is unused for 60 days yet")

        // 70 days on: every key but "used" (unused for 50 days) is past 60 days, "new" too (made 70
        // days ago with a 90-day lifetime, never used), and revoked by the policy.
        h.clock.advance(30 * day)
        let revoked = try await keys.revokeStaleKeys()
        #expect(Set(revoked.map(\.key.name)) == ["forever", "unused", "new"])
        #expect(revoked.allSatisfy { $0.key.revocationCause == .stale && $0.key.revokedBy == .system })
        #expect(try await keys.introspect(forever.value) == nil)
        #expect(try await keys.introspect(used.value) != nil)
        let events = try await h.events("bob", action: .keyRevoked)
        #expect(events.count == revoked.count && events.allSatisfy { $0.details[.cause] == "stale" && $0.details[.lastUsedAt] == .null })
        #expect(events.first?.details[.reason] == "unused for 60d (keys.revoke_stale_after)")
        #expect(try await keys.revokeStaleKeys().isEmpty, "a second sweep finds nothing")
        #expect(try await keys.key(id: unused.key.id).key.revocationReason == "unused for 60d (keys.revoke_stale_after)")

        // A roll under the policy: an unbounded key's replacement gets max_lifetime.
        let rolled = try await keys.roll(id: used.key.id, as: .operator, by: .cli).rolled
        #expect(rolled.replacement.key.expiresAt == h.clock.now.addingTimeInterval(90 * day))
        #expect(try await KeyService(store: h.store, now: { h.clock.now }).staleKeyCount() == nil, "no policy, no count")
    }

    @Test(
        "Revoking chosen keys: one transaction, one event each with the one reason; a revoked or missing key refuses them all",
        arguments: ConformanceKind.all
    )
    func revokeChosen(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        let root = try await h.makeSuperAdmin()
        let bob = try #require(try await h.signIn("bob", groups: ["eng-web"]).user)
        let keys = keys(h)
        var made: [KeyService.CreatedKey] = []
        for name in ["ci", "laptop", "grafana", "old"] {
            made.append(try await keys.create(for: bob.id, name: name, lifetime: nil, purpose: .gateway, by: .cli))
        }
        let ids = made.map(\.key.id)
        _ = try await keys.revoke(id: ids[3], cause: .owner, reason: nil, by: .cli)

        await #expect(throws: LedgerError.keyAlreadyRevoked(id: ids[3], prefix: made[3].key.prefix)) {
            try await keys.revoke(ids: ids, reason: "leaked", by: .cli)
        }
        await #expect(throws: LedgerError.keyNotFound(999)) { try await keys.revoke(ids: [ids[0], 999], reason: "leaked", by: .cli) }
        await #expect(throws: LedgerError.invalidKey(field: "reason", "say why the keys are revoked: the reason is audited")) {
            try await keys.revoke(ids: [ids[0]], reason: "  ", by: .cli)
        }
        await #expect(throws: LedgerError.invalidKey(field: "ids", "choose at least one key to revoke")) {
            try await keys.revoke(ids: [], reason: "leaked", by: .cli)
        }
        #expect(try await h.events("bob", action: .keyRevoked).count == 1, "the refusals wrote nothing")
        #expect(try await keys.introspect(made[0].value) != nil)

        let revoked = try await keys.revoke(ids: [ids[2], ids[0], ids[2]], reason: " found in a public repository ", by: .user(root.id))
        #expect(revoked.map(\.key.id) == [ids[2], ids[0]], "in the order given, once each")
        #expect(try await keys.introspect(made[0].value) == nil)
        #expect(try await keys.introspect(made[2].value) == nil)
        #expect(try await keys.introspect(made[1].value) != nil)
        let events = try await h.events("bob", action: .keyRevoked).filter { $0.details[.cause] == "admin" }
        #expect(events.count == 2)
        #expect(events.allSatisfy { $0.details[.reason] == "found in a public repository" && $0.actor == .user(root.id) })

        // The stale sweep's cut-off: a key used after the listing is left as it is.
        h.clock.advance(100 * 86_400)
        let before = h.clock.now.addingTimeInterval(-90 * 86_400)
        #expect(try await keys.staleKeys(unusedBefore: before).map(\.key.id) == [ids[1]])
        _ = try await keys.introspect(made[1].value)
        try await keys.usage.flush(to: h.store)
        #expect(try await keys.revoke(ids: [ids[1]], reason: "stale", unusedBefore: before, by: .cli).isEmpty)
        #expect(try await keys.introspect(made[1].value) != nil)
    }

    @Test("Offboarding revokes every key, then ends sessions, then deactivates (manual), in that audit order", arguments: ConformanceKind.all)
    func offboarding(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        try await h.makeSuperAdmin()
        let bob = try #require(try await h.signIn("bob", groups: ["eng-web"]).user)
        let keys = keys(h)
        for name in ["laptop", "ci"] { _ = try await keys.create(for: bob.id, name: name, lifetime: nil, purpose: .gateway, by: .user(bob.id)) }
        let old = try await keys.create(for: bob.id, name: "old", lifetime: nil, purpose: .gateway, by: .user(bob.id))
        _ = try await keys.revoke(id: old.key.id, ownerID: bob.id, cause: .owner, reason: nil, by: .user(bob.id))
        _ = try await h.sessions.create(for: bob.id)
        _ = try await h.sessions.create(for: bob.id)

        await #expect(throws: LedgerError.invalidKey(field: "reason", "offboarding needs a reason of 1 to 500 characters")) {
            try await h.service.offboard(bob.id, reason: "  ", by: userAdmin)
        }
        let result = try await h.service.offboard(bob.id, reason: "left the company", by: userAdmin)
        #expect(result.user.status == .inactive && result.user.deactivationReason == .manual)
        #expect(Set(result.revokedKeys.map(\.name)) == ["laptop", "ci"] && result.sessionsEnded == 2)
        #expect(try await h.store.sessionCount(userID: bob.id) == 0)
        let stored = try await h.store.keys(ownerID: bob.id)
        #expect(stored.allSatisfy { $0.revokedAt != nil })
        #expect(stored.first { $0.name == "old" }?.revocationCause == .owner)

        let events = try await h.events("bob").reversed().filter { $0.actor == userAdmin.actor }
        #expect(events.map(\.action) == [.keyRevoked, .keyRevoked, .sessionsEnded, .statusChanged])
        #expect(events.prefix(2).allSatisfy { $0.details[.cause] == "offboarding" && $0.details[.reason] == "left the company" })
        #expect(events.last?.details[.reason] == "manual" && events.last?.details[.via] == "offboarding")

        // Again: nothing left to take, nothing written.
        let before = try await h.events("bob").count
        let again = try await h.service.offboard(bob.id, reason: "left the company", by: userAdmin)
        #expect(again.revokedKeys.isEmpty && again.sessionsEnded == 0)
        #expect(try await h.events("bob").count == before)
    }

    @Test("A deactivation by the IdP at sign-in revokes the user's keys first, as the IdP", arguments: ConformanceKind.all)
    func idpDeactivation(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        try await h.makeSuperAdmin()
        let bob = try #require(try await h.signIn("bob", groups: ["eng-web"]).user)
        let keys = keys(h)
        let key = try await keys.create(for: bob.id, name: "ci", lifetime: nil, purpose: .gateway, by: .user(bob.id))
        try await h.signIn("bob", groups: ["eng-web", "offboarded"])
        #expect(try await keys.introspect(key.value) == nil)
        let stored = try #require(try await h.store.keys(ownerID: bob.id).first)
        #expect(stored.revokedBy == .idp && stored.revocationCause == .deactivation)
        let actions = try await h.events("bob").reversed().filter { $0.actor == .idp }.map(\.action)
        let revokedAt = try #require(actions.firstIndex(of: .keyRevoked))
        #expect(
            revokedAt < actions.firstIndex(of: .sessionsEnded)! && actions.firstIndex(of: .sessionsEnded)! < actions.firstIndex(of: .statusChanged)!
        )
    }

    @Test("Offboarding keeps the last active super_admin guard", arguments: ConformanceKind.all)
    func offboardingLastSuperAdmin(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        let root = try await h.makeSuperAdmin()
        _ = try await keys(h).create(for: root.id, name: "admin", lifetime: nil, purpose: .admin, by: .cli)
        await #expect(throws: LedgerError.lastSuperAdmin(user: root.displayName)) {
            try await h.service.offboard(root.id, reason: "test", by: .cli)
        }
        #expect(try await h.store.keys(ownerID: root.id).allSatisfy { $0.revokedAt == nil })
        #expect(try await h.user("root").status == .active)
    }

    @Test("Uses are counted in memory and written in one batch; a failed write counts them again", arguments: ConformanceKind.all)
    func usage(_ kind: ConformanceKind) async throws {
        let h = try await Harness(conformance: kind)
        let bob = try #require(try await h.signIn("bob", groups: ["eng-web"]).user)
        let keys = keys(h)
        let created = try await keys.create(for: bob.id, name: "ci", lifetime: nil, purpose: .gateway, by: .cli)
        for _ in 0..<5 { _ = try await keys.introspect(created.value) }
        h.clock.advance(86_400)
        for _ in 0..<3 { _ = try await keys.introspect(created.value) }
        #expect(try await h.store.key(id: created.key.id)?.key.lastUsedAt == nil)
        try await keys.usage.flush(to: h.store)
        #expect(keys.usage.isEmpty)
        #expect(try await h.store.key(id: created.key.id)?.key.lastUsedAt == h.clock.now)
        let days = try await keys.usage(of: created.key.id)
        #expect(days.count == KeyService.usageDays)
        #expect(days.suffix(2).map(\.requests) == [5, 3] && days.dropLast(2).allSatisfy { $0.requests == 0 })
    }
}
