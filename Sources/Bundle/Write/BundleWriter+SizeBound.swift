import Foundation
import OCI

extension BundleWriter {
    /// An upper bound of the size of a bundle holding blobs of these sizes and metadata entries of
    /// these sizes (format-spec §13.4), known before a blob is fetched: each tar entry (a 512-byte
    /// header, the data padded to 512) is cut into 4 MiB frames, and zstd never makes a frame
    /// larger than its input plus 18 bytes of frame header, 4 of checksum and 3 per 128 KiB block
    /// (a block that does not shrink is stored raw); plus the slot, the end-of-archive frame and a
    /// generous seek table (48 bytes per frame, 256 per entry).
    public static func sizeBound(blobSizes: [Int64], metadataSizes: [Int64]) -> Int64 {
        func tar(_ size: Int64) -> Int64 { 512 + (size + 511) / 512 * 512 }
        func frames(_ size: Int64) -> Int64 { max(1, (size + Int64(Zstd.frameSize) - 1) / Int64(Zstd.frameSize)) }
        func compressed(_ size: Int64) -> Int64 { size + 22 * frames(size) + 3 * ((size + (128 << 10) - 1) / (128 << 10) + frames(size)) }
        let metadata = metadataSizes.reduce(Int64(2 * 512)) { $0 + tar($1) }  // + the two directories
        let blobs = blobSizes.reduce(Int64(0)) { $0 + compressed(tar($1)) }
        let frameCount = frames(metadata) + blobSizes.reduce(Int64(1)) { $0 + frames(tar($1)) }
        let table = 64 + 48 * frameCount + 256 * Int64(metadataSizes.count + blobSizes.count)
        return Int64(SkippableFrame.headerSize + SignatureSlot.size) + compressed(metadata) + blobs + compressed(1024) + 8 + table + 12
    }

    /// What a pack needs on the output's file system at its peak: the bundle, plus the largest
    /// blob's compressed part, which is deleted only once appended to the bundle.
    public static func spaceNeeded(blobSizes: [Int64], metadataSizes: [Int64]) -> Int64 {
        sizeBound(blobSizes: blobSizes, metadataSizes: metadataSizes) + sizeBound(blobSizes: [blobSizes.max() ?? 0], metadataSizes: []) - sizeBound(blobSizes: [], metadataSizes: [])
    }
}
