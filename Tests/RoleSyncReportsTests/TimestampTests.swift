import Foundation
import RoleSyncReports
import Testing

/// One time grammar for the API and the command line.
@Suite("Timestamps")
struct TimestampTests {
    @Test("format writes what Date.ISO8601FormatStyle writes: leap days, century years, before 1970, fractions dropped")
    func formatMatchesFoundation() {
        var instants: [Double] = [0, -1, -0.5, 0.999, 951_782_400, 951_868_799.75, 4_107_542_400, -62_135_596_800, 253_402_300_799]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 { instants.append(Double.random(in: -62_135_596_800...253_402_300_799, using: &generator)) }
        for seconds in instants {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(Timestamp.format(date) == date.formatted(.iso8601), "\(seconds)")
        }
    }

    @Test(
        "Valid forms parse to the right instant",
        arguments: [
            ("2026-11-27T10:00:00Z", 1_795_773_600.0), ("2026-11-27t10:00:00z", 1_795_773_600),
            ("2026-11-27T11:30:00+01:30", 1_795_773_600), ("2026-11-27T10:00:00.250Z", 1_795_773_600.25),
            ("1970-01-01T00:00:00Z", 0), ("0001-01-01T00:00:00-17:55", -62_135_532_300),
            ("2000-02-29T00:00:00Z", 951_782_400), ("2026-11-27", 1_795_737_600),
        ]
    )
    func valid(text: String, seconds: Double) throws {
        let date = try #require(Timestamp.parse(text))
        #expect(abs(date.timeIntervalSince1970 - seconds) < 0.001)
    }

    @Test(
        "Invalid forms are refused",
        arguments: [
            "", "2026-11-2", "2026-1-27", "20261127", "2026-02-30", "2026-11-27 ", "2026-11-27T10:00:00", "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-11-27T24:00:00Z", "2026-11-27T10:00:00+24:00", "2026-11-27T10:00:00.Z", "yesterday",
            "2026-11-27T10:00:00Zjunk",
        ]
    )
    func invalid(text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    @Test("A written time reads back as the same instant")
    func roundTrip() throws {
        let date = Date(timeIntervalSince1970: 1_795_773_600)
        #expect(Timestamp.format(date) == "2026-11-27T10:00:00Z")
        #expect(Timestamp.parse(Timestamp.format(date)) == date)
    }
}
