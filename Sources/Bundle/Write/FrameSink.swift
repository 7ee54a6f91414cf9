import Foundation
import OCI

/// Collects tar-stream bytes, cutting them into zstd frames of at most `Zstd.frameSize`.
final class FrameSink {
    private let compressor: ZstdFrameCompressor
    private let output: FileOutput
    private var pending: [UInt8] = []
    private(set) var frames: [[Int64]] = []
    /// Tar-stream bytes accepted so far.
    private(set) var written: Int64 = 0

    init(level: Int32, output: FileOutput) throws(BundleError) {
        self.compressor = try ZstdFrameCompressor(level: level)
        self.output = output
        pending.reserveCapacity(Zstd.frameSize)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var rest = bytes
        while !rest.isEmpty {
            let take = min(rest.count, Zstd.frameSize - pending.count)
            pending.append(contentsOf: rest.prefix(take))
            written += Int64(take)
            rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(take))
            if pending.count == Zstd.frameSize { try emit() }
        }
    }

    /// Ends the current frame (if any bytes are pending).
    func flush() throws {
        if !pending.isEmpty { try emit() }
    }

    private func emit() throws {
        let frame = try pending.withUnsafeBytes { try compressor.frame($0) }
        try output.write(frame)
        frames.append([Int64(frame.count), Int64(pending.count)])
        pending.removeAll(keepingCapacity: true)
    }
}
