import Bundle
import Foundation
import Logging
import NIOCore
import OCI
import Registry

/// Hands a blob reader's bytes on in small ByteBuffers, one frame in memory at a time.
final class FrameSlices: @unchecked Sendable {
    // Used by one upload stream at a time (the body is consumed sequentially).
    static let sliceSize = 256 << 10
    let reader: BundleFile.BlobReader
    let progress: TransferProgress
    let allocator = ByteBufferAllocator()

    init(_ reader: BundleFile.BlobReader, progress: TransferProgress) {
        self.reader = reader
        self.progress = progress
    }

    func next() throws -> ByteBuffer? {
        var slice = allocator.buffer(capacity: Self.sliceSize)
        let count = try slice.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.sliceSize) { space in
            try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: space.prefix(Self.sliceSize)))
        }
        guard count > 0 else { return nil }
        progress.add(Int64(count))
        return slice
    }
}
