

struct ChallengeScanner {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func skip(while predicate: (UInt8) -> Bool) {
        while position < bytes.count, predicate(bytes[position]) { position += 1 }
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    /// RFC 7230 token characters.
    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case 0x30...0x39, 0x41...0x5a, 0x61...0x7a: true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"),
             UInt8(ascii: "/"), UInt8(ascii: ":"):
            // '/' and ':' are not RFC tokens, but unquoted realms with them are common in the wild.
            true
        default: false
        }
    }

    mutating func token() -> String? {
        let start = position
        skip(while: Self.isTokenByte)
        return position > start ? String(decoding: bytes[start..<position], as: UTF8.self) : nil
    }

    mutating func quotedString() -> String? {
        guard consume(0x22) else { return nil }
        var value: [UInt8] = []
        while position < bytes.count {
            let b = bytes[position]
            position += 1
            if b == 0x5c, position < bytes.count {
                value.append(bytes[position])
                position += 1
            } else if b == 0x22 {
                return String(decoding: value, as: UTF8.self)
            } else {
                value.append(b)
            }
        }
        return nil  // unterminated
    }
}
