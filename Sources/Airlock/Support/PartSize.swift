/// A part size for split bundles (`pack --split-size`, `split --size`): bytes, or a number with
/// K, M, G or T (powers of 1024), or `fat32` (4 GiB − 1, the largest file FAT32 holds).
public enum PartSize {
    public static let fat32: Int64 = (4 << 30) - 1
    /// The signature slot must fit in the first part, so that signing rewrites only that part.
    public static let minimum: Int64 = 65544

    public static func parse(_ text: String, option: String) throws(AirlockError) -> Int64 {
        let lower = text.lowercased()
        if lower == "fat32" { return fat32 }
        let size = try ByteSize.parse(text, option: option, extra: ", or fat32")
        guard size >= minimum else {
            throw AirlockError.usage("\(option) \(text) is too small: a part must hold the \(minimum)-byte signature slot")
        }
        return size
    }
}
