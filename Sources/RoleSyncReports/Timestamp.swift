package import Foundation

/// How RoleSync writes and reads times, on every surface: the admin API, the command line, the
/// audit log. One grammar, so a time copied from one works in the other.
package enum Timestamp {
    /// What ``parse(_:)`` takes, for error messages.
    package static let grammar = "an RFC 3339 time such as 2026-11-27T10:00:00Z, or a date such as 2026-11-27 (midnight UTC)"

    /// `2026-11-27T10:00:00Z`: UTC, whole seconds (the fraction dropped), as `Date.ISO8601FormatStyle`
    /// writes it, for years 1600 to 9999 (others are left to it). Written by hand: an export writes two or
    /// three per row, and the format style costs several microseconds each.
    package static func format(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        // Days since 1970-01-01 to a civil date (the proleptic Gregorian calendar, H. Hinnant's method).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        let year = Int(yearOfEra + era * 400 + (month <= 2 ? 1 : 0))
        // Foundation writes dates before the Gregorian reform (1582) in the Julian calendar: left to it.
        guard (1600...9999).contains(year) else { return date.formatted(.iso8601) }
        var bytes = [UInt8](repeating: 0, count: 20)
        func put(_ value: Int, _ width: Int, at index: Int) {
            var v = value
            for i in stride(from: index + width - 1, through: index, by: -1) {
                bytes[i] = UInt8(48 + v % 10)
                v /= 10
            }
        }
        put(year, 4, at: 0)
        bytes[4] = 45
        put(month, 2, at: 5)
        bytes[7] = 45
        put(day, 2, at: 8)
        bytes[10] = 84
        put(secondOfDay / 3_600, 2, at: 11)
        bytes[13] = 58
        put(secondOfDay / 60 % 60, 2, at: 14)
        bytes[16] = 58
        put(secondOfDay % 60, 2, at: 17)
        bytes[19] = 90
        return String(decoding: bytes, as: UTF8.self)
    }

    /// ``format(_:)`` of an optional date.
    package static func format(_ date: Date?) -> String? {
        date.map(format)
    }

    /// An RFC 3339 `date-time` (OpenAPI's `date-time`: `2026-11-27T10:00:00Z`, lower-case `t`/`z`,
    /// fractional seconds of any length, numeric offsets such as `+05:30`, years from 0001), or an
    /// RFC 3339 `full-date` (`2026-11-27`), taken as midnight UTC. `nil` for anything else.
    package static func parse(_ text: String) -> Date? {
        if text.utf8.count == 10 { return dateTime(text + "T00:00:00Z") }
        return dateTime(text)
    }

    private static func dateTime(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count >= 20 else { return nil }
        func digits(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= b.count else { return nil }
            var value = 0
            for i in range {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                value = value * 10 + Int(b[i] - 0x30)
            }
            return value
        }
        guard let year = digits(0..<4), b[4] == UInt8(ascii: "-"), let month = digits(5..<7), b[7] == UInt8(ascii: "-"),
            let day = digits(8..<10), [UInt8(ascii: "T"), UInt8(ascii: "t")].contains(b[10]),
            let hour = digits(11..<13), b[13] == UInt8(ascii: ":"), let minute = digits(14..<16),
            b[16] == UInt8(ascii: ":"), let second = digits(17..<19)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if b[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < b.count, b[index] >= 0x30, b[index] <= 0x39 {
                fraction += Double(b[index] - 0x30) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        guard index < b.count else { return nil }
        var offset = 0
        switch b[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == b.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == b.count, let oh = digits((index + 1)..<(index + 3)), b[index + 3] == UInt8(ascii: ":"),
                let om = digits((index + 4)..<(index + 6)), oh <= 23, om <= 59
            else { return nil }
            offset = (oh * 3600 + om * 60) * (b[index] == UInt8(ascii: "-") ? -1 : 1)
        default:
            return nil
        }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let daysInMonth = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...12).contains(month), (1...daysInMonth[month - 1]).contains(day), hour <= 23, minute <= 59, second <= 60
        else { return nil }
        // Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let seconds = Double(days * 86400 + hour * 3600 + minute * 60 + min(second, 59) - offset) + fraction
        return Date(timeIntervalSince1970: seconds)
    }
}
