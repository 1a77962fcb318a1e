/// The shape of an API key's value: `rsk_`, 36 random base62 characters, and a 6-character base62
/// CRC32 of those 36. A secret scanner recognises a key offline with
/// `rsk_[0-9A-Za-z]{42}` (and can verify the checksum); a mistyped or truncated key is refused
/// here, before any store read.
///
/// Admin API tokens issued before keys (ledger migration v7) (`rs_` and 43 base64url characters) are
/// still recognised by their shape, so migrated tokens keep working until revoked.
package enum APIKeyFormat {
    /// What every key starts with.
    package static let prefix = "rsk_"
    /// The random characters after the prefix: 36 × log2(62) ≈ 214 bits.
    package static let randomLength = 36
    /// The base62 CRC32 after the random characters (62^6 > 2^32).
    package static let checksumLength = 6
    /// The whole value's length.
    package static let length = prefix.utf8.count + randomLength + checksumLength
    /// The prefix of admin API tokens issued before keys.
    package static let legacyPrefix = "rs_"
    static let legacyLength = legacyPrefix.utf8.count + 43

    /// A regular expression (POSIX ERE and PCRE alike) for secret scanners.
    package static let scannerPattern = "rsk_[0-9A-Za-z]{42}"

    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// A new key value from the system's secure generator.
    package static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return generate(using: &generator)
    }

    /// A key value from `generator` (tests pass a seeded one).
    package static func generate(using generator: inout some RandomNumberGenerator) -> String {
        var random: [UInt8] = []
        random.reserveCapacity(randomLength)
        while random.count < randomLength {
            // 248 = 4 × 62: bytes at or above it are dropped, so every character is equally likely.
            let byte = UInt8.random(in: .min ... .max, using: &generator)
            if byte < 248 { random.append(alphabet[Int(byte % 62)]) }
        }
        return prefix + String(decoding: random + checksum(of: random), as: UTF8.self)
    }

    /// Whether `value` has a key's shape: the prefix, the length, base62 only, and a checksum that
    /// matches. A legacy `rs_` token passes on its shape alone (it has no checksum).
    package static func isWellFormed(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        if bytes.count == legacyLength, value.hasPrefix(legacyPrefix) {
            return bytes.dropFirst(legacyPrefix.utf8.count).allSatisfy(isBase64URL)
        }
        guard bytes.count == length, value.hasPrefix(prefix) else { return false }
        let body = bytes.dropFirst(prefix.utf8.count)
        guard body.allSatisfy(isBase62) else { return false }
        let random = Array(body.prefix(randomLength))
        return checksum(of: random) == Array(body.suffix(checksumLength))
    }

    /// What lists show of a key: its first 7 characters and its last 4 (`rsk_Ab3…x9Qz`).
    package static func displayPrefix(of value: String) -> String {
        String(value.prefix(7)) + "…" + String(value.suffix(4))
    }

    /// The base62 CRC32 of `random`, left-padded with `0` to ``checksumLength``.
    static func checksum(of random: [UInt8]) -> [UInt8] {
        var value = CRC32.checksum(random)
        var digits = [UInt8](repeating: alphabet[0], count: checksumLength)
        for index in digits.indices.reversed() {
            digits[index] = alphabet[Int(value % 62)]
            value /= 62
        }
        return digits
    }

    static func isBase62(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    static func isBase64URL(_ byte: UInt8) -> Bool { isBase62(byte) || byte == 0x2D || byte == 0x5F }
}

/// CRC-32 (IEEE 802.3, the polynomial zlib and GitHub's token checksums use).
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
