import Foundation
import RoleSyncJSON
package import RoleSyncLedger

/// A person an audit sentence names: who the event is about, or who acted.
package struct AuditPerson: Sendable, Hashable {
    package var name: String?
    package var email: String?

    package init(name: String?, email: String?) {
        self.name = name
        self.email = email
    }

    package init(_ user: User) {
        self.init(name: user.name, email: user.email)
    }

    /// The people `events` mention, read in one call of `users`, by id.
    package static func people(
        in events: [AuditEvent],
        reading users: (Set<UserID>) async throws -> [User]
    ) async throws -> [UserID: AuditPerson] {
        let ids = AuditSentence.people(in: events)
        guard !ids.isEmpty else { return [:] }
        return Dictionary(uniqueKeysWithValues: try await users(ids).map { ($0.id, AuditPerson($0)) })
    }
}

/// An audit event as one sentence for people: "Root Admin revoked grafana-exporter-11 (rsk_tL9…)
/// of Chen Novak: found in a public repository". People are named by name and email (the page links
/// them), keys by name and prefix, rules by file and id, and the actor by what it is. Every
/// ``AuditAction`` has its sentence (the switch below is exhaustive); an event written by an older
/// version, with fewer details, still reads.
package struct AuditSentence: Sendable, Hashable {
    package enum Part: Sendable, Hashable {
        /// Plain words.
        case text(String)
        /// A person of the ledger; `person` is nil when the ledger no longer knows the id.
        case user(UserID, AuditPerson?)
        /// A name as written in a file or a key: a rule, a file, a key prefix, an endpoint.
        case code(String)
    }

    package var parts: [Part]

    /// The sentence as plain text, people as "Name <email>".
    package var text: String {
        parts.map { part in
            switch part {
            case .text(let words): words
            case .code(let code): code
            case .user(let id, let person): Self.plain(id, person)
            }
        }.joined()
    }

    /// The user ids a sentence about `event` names, for one lookup per page.
    package static func people(in events: [AuditEvent]) -> Set<UserID> {
        var ids = Set<UserID>()
        for event in events {
            if let id = event.userID { ids.insert(id) }
            if case .user(let id) = event.actor { ids.insert(id) }
        }
        return ids
    }

    static func plain(_ id: UserID, _ person: AuditPerson?) -> String {
        switch (person?.name.flatMap { $0.isEmpty ? nil : $0 }, person?.email) {
        case (let name?, let email?): "\(name) <\(email)>"
        case (let name?, nil): name
        case (nil, let email?): email
        case (nil, nil): "user \(id)"
        }
    }

    package init(parts: [Part]) {
        self.parts = Self.merged(parts)
    }

    /// Adjacent words joined, so a page renders few nodes.
    static func merged(_ parts: [Part]) -> [Part] {
        var result: [Part] = []
        for part in parts {
            if case .text(let words) = part, case .text(let before)? = result.last {
                result[result.count - 1] = .text(before + words)
            } else if case .text(let words) = part, words.isEmpty {
                continue
            } else {
                result.append(part)
            }
        }
        return result
    }
}

extension AuditSentence {
    /// The sentence for `event`, naming the people in `people` (missing ones as "user 12").
    package init(_ event: AuditEvent, people: [UserID: AuditPerson]) {
        var builder = SentenceBuilder(event: event, people: people)
        builder.build()
        self.init(parts: builder.parts)
    }
}

/// Writes one event's sentence.
private struct SentenceBuilder {
    let event: AuditEvent
    let people: [UserID: AuditPerson]
    var parts: [AuditSentence.Part] = []

    init(event: AuditEvent, people: [UserID: AuditPerson]) {
        self.event = event
        self.people = people
    }

    // MARK: Words

    mutating func words(_ text: String) { parts.append(.text(text)) }
    mutating func code(_ text: String) { parts.append(.code(text)) }

    /// The actor, as the sentence's subject.
    mutating func actor() {
        switch event.actor {
        case .user(let id): parts.append(.user(id, people[id]))
        case .idp: words("The IdP")
        case .reconciler: words("The directory reconciliation")
        case .scim: words("A SCIM push")
        case .cli: words("An operator (command line)")
        case .system: words("RoleSync")
        }
    }

    /// Who the event is about: the user, or the identity a refused sign-in presented.
    mutating func subject() {
        if let id = event.userID {
            parts.append(.user(id, people[id]))
        } else if let subject = event.subject {
            words("an identity with no account (subject ")
            code(subject)
            words(")")
        } else {
            words("an unknown identity")
        }
    }

    /// The subject's possessive: "Chen Novak's", or "their" when the actor acts on themselves.
    mutating func subjectPossessive() {
        if isSelf {
            words("their")
        } else {
            subject()
            words("'s")
        }
    }

    /// Whether the actor is the user the event is about.
    var isSelf: Bool {
        if case .user(let id) = event.actor, id == event.userID { return true }
        return false
    }

    func string(_ key: AuditKey) -> String? {
        guard case .string(let value)? = event.details[key], !value.isEmpty else { return nil }
        return value
    }

    func number(_ key: AuditKey) -> Int64? {
        guard case .number(let value)? = event.details[key] else { return nil }
        return Int64(value)
    }

    func list(_ key: AuditKey) -> [String] {
        guard case .array(let values)? = event.details[key] else { return [] }
        return values.compactMap { value in
            if case .string(let text) = value { return text }
            return nil
        }
    }

    /// A time of the details (`2026-12-07T15:32:21Z`) as pages show one: `2026-12-07 15:32 UTC`.
    func time(_ key: AuditKey) -> String? {
        guard let text = string(key) else { return nil }
        guard let date = Timestamp.parse(text) else { return text }
        let iso = Timestamp.format(date)
        return iso.prefix(10) + " " + iso.dropFirst(11).prefix(5) + " UTC"
    }

    /// " by rule `engineers` in `okta.yaml`", " by `okta.yaml`'s default", or nothing.
    mutating func rule() {
        switch (string(.rule), string(.mapping)) {
        case (let rule?, let file?):
            words(" by rule ")
            code(rule)
            words(" in ")
            code(file)
        case (let rule?, nil):
            words(" by rule ")
            code(rule)
        case (nil, let file?):
            words(" by the default of ")
            code(file)
        case (nil, nil): break
        }
    }

    /// " (directory sync)" and the like: the path an IdP change came by.
    mutating func via() {
        switch string(.via) {
        case "reevaluation": words(" (re-evaluation)")
        case "directory": words(" (directory sync)")
        case "scim": words(" (SCIM)")
        case nil, "offboarding": break
        case let other?: words(" (\(other))")
        }
    }

    /// ": <reason>" when the details carry one for people.
    mutating func because(_ key: AuditKey = .detail) {
        if let reason = string(key) { words(": \(reason)") }
    }

    mutating func key(name: String?, prefix: String?) {
        if let name { code(name) } else { words("a key") }
        if let prefix {
            words(" (")
            code(prefix)
            words(")")
        }
    }

    mutating func heldBecause() {
        switch string(.heldBecause) {
        case "last_active_super_admin": words(": it would leave no active super_admin")
        case "override":
            words(": a break-glass override is in force")
            if let until = time(.until) { words(" until \(until)") }
        case let other?: words(": \(other)")
        case nil: break
        }
    }

    static func directoryCause(_ code: String) -> String {
        switch code {
        case "absent_from_directory": "absent from the directory"
        case "inactive_in_directory": "inactive in the directory"
        case "deleted_in_directory": "deleted in the directory"
        default: code.replacingOccurrences(of: "_", with: " ")
        }
    }

    // MARK: The sentences

    mutating func build() {
        switch event.action {
        case .userCreated: userCreated()
        case .profileUpdated: profileUpdated()
        case .roleChanged:
            actor()
            words(" changed ")
            subjectPossessive()
            words(" role from \(string(.from) ?? "?") to \(string(.to) ?? "?")")
            if string(.source) == "manual" { words(" by hand") } else { rule() }
            via()
        case .roleChangeHeld:
            actor()
            words(" held back ")
            subjectPossessive()
            words(" role change from \(string(.from) ?? "?") to \(string(.to) ?? "?")")
            rule()
            heldBecause()
        case .statusChanged: statusChanged()
        case .statusChangeHeld:
            actor()
            words(" held back deactivating ")
            subject()
            rule()
            heldBecause()
        case .sessionsEnded: sessionsEnded()
        case .editRefused:
            actor()
            words(" was refused a change of ")
            subjectPossessive()
            words(" \(string(.field) ?? "account")")
            if let from = string(.from), let to = string(.to) { words(" from \(from) to \(to)") }
            because(string(.detail) == nil ? .reason : .detail)
        case .decisionUndetermined:
            words("The mapping could not decide ")
            subjectPossessive()
            words(" access")
            if let file = string(.mapping) {
                words(" (")
                code(file)
                words(")")
            }
            let claims = list(.unknownClaims)
            if !claims.isEmpty { words(": it depends on claims the IdP did not send: \(claims.joined(separator: ", "))") }
            if let kept = string(.roleKept) { words("; \(kept) kept") }
        case .signInRefused:
            words("A sign-in of ")
            subject()
            words(" was refused")
            because(string(.detail) == nil ? .reason : .detail)
            if let file = string(.mapping) {
                words(" (")
                code(file)
                words(")")
            }
        case .overrideGranted:
            actor()
            words(" gave ")
            subject()
            words(" the break-glass role \(string(.to) ?? "?")")
            if let from = string(.from) { words(" (instead of \(from))") }
            if let until = time(.until) { words(" until \(until)") }
            because()
        case .overrideEnded: overrideEnded()
        case .mappingPromoted:
            actor()
            words(" promoted the candidate mapping ")
            code(string(.candidate) ?? "?")
            words(" to the live ")
            code(string(.live) ?? "?")
            because()
        case .keyCreated, .tokenCreated:
            actor()
            words(" created ")
            if event.action == .tokenCreated {
                words("the admin API token ")
            } else if let purpose = string(.purpose) {
                words("the \(purpose) key ")
            } else {
                words("the key ")
            }
            key(name: string(.name), prefix: string(.prefix))
            if !isSelf {
                words(" for ")
                subject()
            }
            if let expires = time(.expiresAt) { words(", expiring \(expires)") }
        case .keyRevoked, .tokenRevoked: keyRevoked()
        case .keyRolled:
            actor()
            words(" rolled ")
            key(name: string(.name), prefix: string(.prefix))
            if !isSelf {
                words(" of ")
                subject()
            }
            if let replacement = string(.newPrefix) {
                words(": replaced by ")
                code(replacement)
            }
            if let until = time(.oldExpiresAt) { words("; the old key works until \(until)") }
        case .webhookDisabled:
            actor()
            words(" disabled the webhook endpoint ")
            code(string(.endpoint) ?? "?")
            switch string(.reason) {
            case "gone": words(": it answered 410 Gone")
            case "failing": words(": it failed for longer than its disable_after")
            case let other?: words(": \(other)")
            case nil: break
            }
            if let status = number(.status), string(.reason) != "gone" { words(" (last answer \(status))") }
        case .webhookEnabled:
            actor()
            words(" re-enabled the webhook endpoint ")
            code(string(.endpoint) ?? "?")
            if let reason = string(.previousReason) { words(" (disabled because \(reason == "gone" ? "it answered 410 Gone" : reason))") }
        case .webhookReplayed:
            actor()
            words(" replayed the webhook endpoint ")
            code(string(.endpoint) ?? "?")
            words("'s messages")
            if let since = time(.since) { words(" since \(since)") }
        case .webhookRetryRequested:
            actor()
            words(" asked for one more try of ")
            code(number(.eventID).map { "msg_\($0)" } ?? "a message")
            words(" to the webhook endpoint ")
            code(string(.endpoint) ?? "?")
        case .reviewCompleted:
            actor()
            words(" completed access review ")
            code(number(.reviewID).map { "#\($0)" } ?? "?")
            let holders = number(.holders) ?? 0
            words(" of \(holders) admin role holder\(holders == 1 ? "" : "s"): \(number(.kept) ?? 0) kept, \(number(.revoked) ?? 0) to revoke")
            if let digest = string(.digest) {
                words(" (rows ")
                code(String(digest.prefix(19)) + "…")
                words(")")
            }
        }
    }

    mutating func userCreated() {
        let role = string(.role) ?? "?"
        if event.actor == .idp {
            subject()
            words(" signed in for the first time: created as \(role)")
        } else {
            actor()
            words(" created ")
            subject()
            words(" as \(role)")
        }
        if string(.roleSource) == "default" {
            words(", the default role (no rule matched")
            if let file = string(.mapping) {
                words(" in ")
                code(file)
            }
            words(")")
        } else {
            rule()
        }
    }

    mutating func profileUpdated() {
        actor()
        words(" updated ")
        subjectPossessive()
        var changed = list(.claims)
        if changed.isEmpty {
            changed = [AuditKey.email, .name, .organizationUnit].filter { event.details[$0] != nil }.map(\.rawValue)
        }
        words(changed.isEmpty ? " profile" : " profile: \(changed.joined(separator: ", "))")
        via()
    }

    mutating func statusChanged() {
        actor()
        if string(.to) == "active" {
            words(" reactivated ")
            subject()
            if string(.reason) == "manual" { words(" by hand") } else { rule() }
            via()
            return
        }
        if string(.via) == "offboarding" {
            words(" offboarded ")
            subject()
            because()
            return
        }
        words(" deactivated ")
        subject()
        switch string(.reason) {
        case "manual": words(" by hand")
        default:
            if let cause = string(.because) { words(": \(Self.directoryCause(cause))") }
            rule()
            via()
        }
    }

    mutating func sessionsEnded() {
        actor()
        words(" ended ")
        subjectPossessive()
        if let count = number(.sessions) {
            words(count == 1 ? " session" : " \(count) sessions")
        } else {
            words(" sessions")
        }
        switch string(.reason) {
        case "deactivated_by_admin": words(" with the deactivation by an admin")
        case "deactivated_by_idp": words(" with the deactivation by the IdP")
        case "offboarded":
            words(" with the offboarding")
            because()
        case let other?: words(": \(other.replacingOccurrences(of: "_", with: " "))")
        case nil: break
        }
    }

    mutating func overrideEnded() {
        subjectPossessive()
        words(" break-glass override ended")
        switch string(.reason) {
        case "expired": words(" at its deadline")
        case "ended_early":
            words(" early, by ")
            actor()
        case "deactivated": words(" with the deactivation")
        case let other?: words(" (\(other))")
        case nil: break
        }
        if let to = string(.to) {
            if string(.heldBecause) == "last_active_super_admin" {
                words("; \(to) kept: it would leave no active super_admin")
            } else {
                words("; back to \(to)")
                rule()
            }
        }
    }

    mutating func keyRevoked() {
        actor()
        words(" revoked ")
        if event.action == .tokenRevoked { words("the admin API token ") }
        key(name: string(.name), prefix: string(.prefix))
        if !isSelf {
            words(" of ")
            subject()
        }
        switch string(.cause) {
        case "stale":
            words(time(.lastUsedAt).map { ", stale: last used \($0)" } ?? ", stale: never used")
        case "offboarding": words(" with the offboarding")
        case "deactivation": words(" with the deactivation")
        default: break
        }
        because(.reason)
    }
}
