import Foundation
import OCI

extension TarReader {
    /// The largest metadata entry (bundle manifest, index.json) a reader takes: 16 MiB lists
    /// about 100,000 blobs. The size comes from an unauthenticated tar header, so it is checked
    /// before anything is allocated.
    static let metadataLimit: Int64 = 16 << 20

    /// The current entry's data in full (small entries only).
    func readAll(size: Int64, what: String) throws -> [UInt8] {
        guard (0...Self.metadataLimit).contains(size) else {
            throw BundleError.verification("\(what) is too large: it declares \(size) bytes, more than the \(Self.metadataLimit >> 20) MiB a bundle's metadata may have (damaged or hostile)")
        }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        var filled = 0
        while filled < bytes.count {
            let count = try bytes.withUnsafeMutableBytes { try read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
            if count == 0 { throw BundleError.truncated("the bundle", "it ends inside \(what)") }
            filled += count
        }
        return bytes
    }
}
