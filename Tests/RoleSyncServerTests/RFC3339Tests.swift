import Foundation
import Testing

@testable import RoleSyncServer

@Suite("RFC 3339 times")
struct RFC3339Tests {
    @Test(
        "Valid forms parse to the right instant",
        arguments: [
            ("2026-11-27T10:00:00Z", 1_795_773_600.0), ("2026-11-27t10:00:00z", 1_795_773_600),
            ("2026-11-27T11:30:00+01:30", 1_795_773_600), ("2026-11-27T10:00:00.250Z", 1_795_773_600.25),
            ("1970-01-01T00:00:00Z", 0), ("0001-01-01T00:00:00-17:55", -62_135_532_300),
            ("2000-02-29T00:00:00Z", 951_782_400),
        ]
    )
    func valid(text: String, seconds: Double) throws {
        let date = try #require(RFC3339.parse(text))
        #expect(abs(date.timeIntervalSince1970 - seconds) < 0.001)
    }

    @Test(
        "Invalid forms are refused",
        arguments: [
            "", "2026-11-27", "2026-11-27T10:00:00", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
            "2026-11-27T24:00:00Z", "2026-11-27T10:00:00+24:00", "2026-11-27T10:00:00.Z", "yesterday",
            "2026-11-27T10:00:00Zjunk",
        ]
    )
    func invalid(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }
}
