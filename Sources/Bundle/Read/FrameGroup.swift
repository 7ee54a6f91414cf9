import Foundation
import OCI

/// The tar stream held by consecutive frames, decompressed one frame at a time into one buffer,
/// then (for a tar reader) a 1024-byte end-of-archive marker: each group of frames parses alone.
final class FrameGroup {
    private let file: BundleFile
    private var frame: Int
    private let frames: Range<Int>
    private let decompressor: ZstdFrameDecompressor
    private let buffer: UnsafeMutableRawBufferPointer
    private var endMarker: Bool
    private static let marker = [UInt8](repeating: 0, count: 1024)

    init(file: BundleFile, frames: Range<Int>, endMarker: Bool = true) throws {
        self.file = file
        self.frames = frames
        self.frame = frames.lowerBound
        self.endMarker = endMarker
        decompressor = try ZstdFrameDecompressor()
        let largest = frames.map { Int(file.table.frames[$0][1]) }.max() ?? 0
        buffer = try FrameBuffer.allocate(max(largest, Self.marker.count))
    }

    deinit { FrameBuffer.release(buffer) }

    /// The next frame's bytes (valid until the next call), then the marker, then empty.
    func next() throws -> UnsafeRawBufferPointer {
        guard frame < frames.upperBound else {
            guard endMarker else { return UnsafeRawBufferPointer(start: nil, count: 0) }
            endMarker = false
            buffer.copyBytes(from: Self.marker)
            return UnsafeRawBufferPointer(rebasing: buffer[..<Self.marker.count])
        }
        let compressedSize = Int(file.table.frames[frame][0]), size = Int(file.table.frames[frame][1])
        let start = file.layout.fileOffsets[frame]
        do {
            try decompressor.decompress(compressedSize: compressedSize, into: buffer, expectedSize: size, what: "\(file.path), frame \(frame)") { offset, count, bytes in
                try file.input.pread(offset: start + Int64(offset), count: count, into: &bytes)
            }
        } catch {
            // In a split bundle, name the part whose bytes changed rather than the frame.
            if let damaged = file.input.damagedPart() { throw damaged }
            if case BundleError.damagedFrame(let cause) = error { throw BundleError.damagedFrame("\(cause), in frame \(frame)") }
            throw error
        }
        frame += 1
        return UnsafeRawBufferPointer(rebasing: buffer[..<size])
    }

    /// After `tar` reached its end: the entries ended exactly where the frames do (the marker
    /// `tar` stopped at is the one this group added, not one hidden inside the frames).
    func checkConsumed(by tar: TarReader) throws {
        let total = frames.reduce(Int64(0)) { $0 + file.table.frames[$1][1] } + Int64(Self.marker.count)
        guard frame == frames.upperBound, !endMarker, tar.position == total else {
            throw BundleError.verification("\(file.path) has an end-of-archive marker or other stray bytes inside frames \(frames.lowerBound)–\(frames.upperBound - 1)")
        }
    }
}
