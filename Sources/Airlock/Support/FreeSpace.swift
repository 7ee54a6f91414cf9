import Bundle
import Foundation

/// The free-space check made before a command writes a large output (`pack`, `unpack`): it
/// refuses to start, naming both numbers, rather than fill the disk half-way (exit 6).
public enum FreeSpace {
    /// Bytes an unprivileged user may still write on the file system that holds `path` (or its
    /// closest existing ancestor).
    public static func available(at path: String) throws(AirlockError) -> (bytes: Int64, folder: String) {
        var folder = path.isEmpty ? "." : path
        var info = statvfs()
        while statvfs(folder, &info) != 0 {
            guard errno == ENOENT else { throw AirlockError.io(BundleError.system("check the free space of", folder).description) }
            let up = parentFolder(of: folder)
            let next = up.isEmpty ? "." : up
            if next == folder { throw AirlockError.io(BundleError.system("check the free space of", folder).description) }
            folder = next
        }
        return (Int64(info.f_bavail) * Int64(info.f_frsize), folder)
    }

    /// Refuses when the file system of `folder` (where `output` will be; it need not exist yet)
    /// has less than `needed` bytes free. `what` names the output ("the bundle"), `estimate` says
    /// how `needed` was worked out.
    public static func require(_ needed: Int64, for output: String, in folder: String, what: String, estimate: String, nothingDone: String) throws(AirlockError) {
        let (free, folder) = try available(at: folder)
        guard free < needed else { return }
        throw AirlockError.io("not enough free space for \(output): \(what) needs up to \(ByteCount.format(needed)) (\(needed) bytes, \(estimate)), but \(folder) has only \(ByteCount.format(free)) (\(free) bytes) free; \(nothingDone) (free some space, or write elsewhere)")
    }
}

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
