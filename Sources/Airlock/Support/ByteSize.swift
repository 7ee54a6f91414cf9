/// A size given on the command line (`--size`, `--min-rate`): bytes, or a number with K, M, G or
/// T (powers of 1024; `1M`, `1MB` and `1MiB` alike). The one parser every size option uses.
public enum ByteSize {
    public static func parse(_ text: String, option: String, extra: String = "") throws(AirlockError) -> Int64 {
        let units: [Character: Int64] = ["k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40]
        var digits = Substring(text.lowercased())
        var multiplier: Int64 = 1
        if digits.hasSuffix("ib") { digits = digits.dropLast(2) } else if digits.hasSuffix("b") { digits = digits.dropLast() }
        if let last = digits.last, let unit = units[last] {
            multiplier = unit
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int64(digits),
              number <= Int64.max / multiplier
        else {
            throw AirlockError.usage("\(option) \(text) is not a size: give bytes, or a number with K, M, G or T (powers of 1024)\(extra)")
        }
        return number * multiplier
    }
}
