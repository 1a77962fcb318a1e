import Foundation
import RoleSyncEvents
import RoleSyncJSON
import RoleSyncLedger
import RoleSyncYAML

/// A `webhooks:` entry as written (issue 26): where RoleSync posts audit events, signed as
/// Standard Webhooks says with the secret in the variable `secret_env` names.
struct RawWebhook: Decodable {
    var name: Located<String>?
    var url: Located<String>?
    var secretEnv: Located<String>?
    var events: Located<[Located<String>]>?
    var caFile: Located<String>?
    var disableAfter: Located<ClaimValue>?

    enum CodingKeys: String, CodingKey, CaseIterable, RequiredKeys {
        case name, url
        case secretEnv = "secret_env"
        case events
        case caFile = "ca_file"
        case disableAfter = "disable_after"

        static let required: [CodingKeys] = [.name, .url, .secretEnv]
    }

    /// The usable endpoints; each name may appear once.
    static func validate(_ entries: [Located<RawWebhook>], _ validation: inout Validation) -> [WebhookSettings] {
        var result: [WebhookSettings] = []
        var names: [String: Int] = [:]
        for (index, entry) in entries.enumerated() {
            let at = "webhooks[\(index)]"
            let raw = entry.value
            // Missing keys were reported by the decoder.
            guard let name = raw.name, let url = raw.url, let secretEnv = raw.secretEnv else { continue }
            var valid = true
            if name.value.isEmpty || name.value.count > 64
                || !name.value.unicodeScalars.allSatisfy({
                    CharacterSet.alphanumerics.contains($0) && $0.isASCII || "-_.".unicodeScalars.contains($0)
                })
            {
                validation.error(
                    name.location,
                    "\(at).name: '\(name.value)' must be 1 to 64 letters, digits, '-', '_' or '.' (it names the endpoint in URLs and metrics)"
                )
                valid = false
            } else if let first = names[name.value] {
                validation.error(name.location, "\(at).name: '\(name.value)' is already the name of webhooks[\(first)]")
                valid = false
            } else {
                names[name.value] = index
            }
            let address = Self.url(url, "\(at).url", &validation, &valid)
            let secrets = Self.secrets(secretEnv, "\(at).secret_env", &validation, &valid)
            var actions = Set(AuditAction.allCases)
            if let events = raw.events {
                do {
                    actions = try WebhookEndpointSetting.actions(matching: events.value.map(\.value))
                } catch {
                    let written = events.value.first { $0.value == error.pattern }
                    validation.error(
                        written?.location ?? events.location,
                        "\(at).events: \(error) (audit actions such as user.role_changed, key.revoked, or globs such as user.*)"
                    )
                    valid = false
                }
                if events.value.isEmpty {
                    validation.error(events.location, "\(at).events: name at least one event, or leave 'events' out to send every one")
                    valid = false
                }
            }
            let caFile = validation.readableFile(raw.caFile, "\(at).ca_file", &valid)
            var disableAfter = WebhookRetryPolicy.defaultDisableAfter
            if let written = raw.disableAfter, let seconds = validation.duration(written, "\(at).disable_after") {
                if seconds >= 3600 {
                    disableAfter = seconds
                } else {
                    validation.error(written.location, "\(at).disable_after: at least 1h (shorter would disable an endpoint between its first tries)")
                    valid = false
                }
            }
            guard valid, let address else { continue }
            result.append(
                WebhookSettings(
                    name: name.value,
                    url: address,
                    secrets: secrets,
                    secretEnv: secretEnv.value,
                    actions: actions,
                    caFile: caFile,
                    disableAfter: disableAfter,
                    location: entry.location
                )
            )
        }
        return result
    }

    /// https, or plain http on a loopback address (tests); no credentials, query or fragment.
    static func url(_ written: Located<String>, _ key: String, _ validation: inout Validation, _ valid: inout Bool) -> URL? {
        guard let parsed = URL(string: written.value), let scheme = parsed.scheme?.lowercased(), let host = parsed.host, !host.isEmpty,
            parsed.user == nil, parsed.password == nil, parsed.query == nil, parsed.fragment == nil,
            scheme == "https" || (scheme == "http" && Validation.isLoopback(host))
        else {
            validation.error(
                written.location,
                "\(key): '\(written.value)' is not an https URL without credentials or query (http only on a loopback address, for tests)"
            )
            valid = false
            return nil
        }
        return parsed
    }

    /// The secrets in the variable: one `whsec_…` value, or several separated by spaces during a
    /// rotation. Checked whenever set; required by `serve`.
    static func secrets(_ variable: Located<String>, _ key: String, _ validation: inout Validation, _ valid: inout Bool) -> [WebhookSecret] {
        guard let text = validation.secret(nil, environmentKey: variable, key, &valid) else { return [] }
        do {
            return try WebhookSecret.list(text)
        } catch {
            validation.error(variable.location, "\(key): the secret in \(variable.value) \(error)")
            valid = false
            return []
        }
    }
}
