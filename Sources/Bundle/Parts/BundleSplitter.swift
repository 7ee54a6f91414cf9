import Foundation
import OCI

/// `airlock split`: copies a bundle into parts of at most `partSize` bytes beside it, byte for
/// byte (its signatures untouched), with their table. The bundle itself is left as it is.
public enum BundleSplitter {
    public static func split(_ bundle: String, partSize: Int64, into target: String) throws -> [String] {
        guard bundle != "-" else { throw BundleError.usage("split reads the bundle twice: give its path, not -") }
        let input = try BundleInput.open(bundle)
        let header = try BundleHeader.read(input: input)
        let directory = parentFolder(of: target)
        let temporary = (directory.isEmpty ? "." : directory) + "/.airlock-split.\((target as NSString).lastPathComponent)"
        let output = try FileOutput(creatingParts: temporary, partSize: partSize)
        do {
            let cursor = input.cursor()
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let count = try buffer.withUnsafeMutableBytes { raw in
                    guard let base = raw.baseAddress else { return 0 }
                    return try cursor.read(base, raw.count)
                }
                if count == 0 { break }
                try buffer.withUnsafeBytes { try output.write(UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }
            }
            try output.sync()
            return try output.placeParts(as: target, manifestDigest: header.manifestDigest)
        } catch {
            for path in output.paths { unlink(path) }
            throw error
        }
    }
}
