/// JSON written the way Go's encoding/json writes it (compact; struct fields in declaration
/// order; map keys sorted; `<`, `>`, `&`, U+2028 and U+2029 escaped), so documents airlock makes
/// for Helm and ORAS layouts have the bytes those tools would give them.
indirect enum GoJSON: Sendable, Hashable {
    case string(String)
    case bool(Bool)
    case int(Int64)
    case array([GoJSON])
    /// A struct: members in the order given.
    case object([(String, GoJSON)])

    /// A Go map: members sorted by key (byte order).
    static func map(_ members: [String: GoJSON]) -> GoJSON {
        .object(members.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }.map { ($0.key, $0.value) })
    }

    static func == (a: GoJSON, b: GoJSON) -> Bool { a.encoded == b.encoded }
    func hash(into hasher: inout Hasher) { hasher.combine(encoded) }

    var bytes: [UInt8] { Array(encoded.utf8) }

    var encoded: String {
        switch self {
        case .string(let text): Self.quote(text)
        case .bool(let value): value ? "true" : "false"
        case .int(let value): String(value)
        case .array(let items): "[" + items.map(\.encoded).joined(separator: ",") + "]"
        case .object(let members): "{" + members.map { Self.quote($0.0) + ":" + $0.1.encoded }.joined(separator: ",") + "}"
        }
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "<", ">", "&", "\u{2028}", "\u{2029}":
                out += escaped(scalar)
            default:
                if scalar.value < 0x20 {
                    out += escaped(scalar)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// `\u` and four lower-case hex digits.
    private static func escaped(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16)
        return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
