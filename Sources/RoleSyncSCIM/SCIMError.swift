/// Why reading a SCIM directory failed. Any of these means the listing is incomplete, so nothing
/// may be decided from it.
package enum SCIMError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The directory could not be reached (after the retries).
    case unreachable(String)
    /// It answered with an error status (after the retries, for 429 and 5xx).
    case status(Int, path: String, detail: String?)
    /// It answered something that is not a SCIM list response.
    case malformed(String)
    /// The listing changed under the reader (`totalResults` moved, a page came short).
    case inconsistent(String)

    package var code: String {
        switch self {
        case .unreachable: "scim_unreachable"
        case .status: "scim_status"
        case .malformed: "scim_malformed"
        case .inconsistent: "scim_inconsistent"
        }
    }

    package var description: String {
        switch self {
        case .unreachable(let reason): "the SCIM directory cannot be reached: \(reason)"
        case .status(let status, let path, let detail):
            "the SCIM directory answered \(path) with HTTP \(status)" + (detail.map { ": \($0)" } ?? "")
        case .malformed(let reason): "the SCIM directory's answer is not usable: \(reason)"
        case .inconsistent(let reason): "the SCIM listing changed while it was read: \(reason)"
        }
    }
}
