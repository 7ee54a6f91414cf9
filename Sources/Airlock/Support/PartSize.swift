/// A part size for split bundles (`pack --split-size`, `split --size`): bytes, or a number with
/// K, M, G or T (powers of 1024), or `fat32` (4 GiB − 1, the largest file FAT32 holds).
public enum PartSize {
    public static let fat32: Int64 = (4 << 30) - 1
    /// The signature slot must fit in the first part, so that signing rewrites only that part.
    public static let minimum: Int64 = 65544

    public static func parse(_ text: String, option: String) throws(AirlockError) -> Int64 {
        let lower = text.lowercased()
        if lower == "fat32" { return fat32 }
        let units: [Character: Int64] = ["k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40]
        var digits = Substring(lower)
        var multiplier: Int64 = 1
        // 1M, 1MB and 1MiB all mean 2^20 bytes.
        if digits.hasSuffix("ib") { digits = digits.dropLast(2) } else if digits.hasSuffix("b") { digits = digits.dropLast() }
        if let last = digits.last, let unit = units[last] {
            multiplier = unit
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int64(digits),
              number <= Int64.max / multiplier
        else {
            throw AirlockError.usage("\(option) \(text) is not a size: give bytes, or a number with K, M, G or T (powers of 1024), or fat32")
        }
        let size = number * multiplier
        guard size >= minimum else {
            throw AirlockError.usage("\(option) \(text) is too small: a part must hold the \(minimum)-byte signature slot")
        }
        return size
    }
}
