import Foundation
import OCI

/// Where every frame and entry lives, so a reader can decompress one blob without the others.
/// Stored at the end of the bundle in a skippable frame, followed by a 12-byte footer
/// (u64 LE JSON length, "ALST"). Not signed: every byte read through it is checked against the
/// signed bundle manifest, so a tampered table can only make reading fail.
public struct SeekTable: Codable, Sendable, Equatable {
    public static let footerMagic: [UInt8] = Array("ALST".utf8)
    public static let footerSize = 12

    /// Table layout version.
    public let seekTable: Int
    /// File offset of the first data frame (just after the signature slot).
    public let dataOffset: Int64
    /// Every zstd data frame in order: [compressed size, decompressed size].
    public let frames: [[Int64]]
    /// Every tar entry that carries data, in stream order.
    public let entries: [Entry]

    /// The members §3.5 defines; a reader refuses any other (`SeekTable+Decode`).
    enum CodingKeys: String, CodingKey, CaseIterable {
        case seekTable, dataOffset, frames, entries
    }

    public struct Entry: Codable, Sendable, Equatable {
        /// The tar path, e.g. `blobs/sha256/<hex>`.
        public let name: String
        /// Index of the first frame holding the entry's data.
        public let frame: Int
        /// How many frames the entry's data spans (at least 1).
        public let frameCount: Int
        /// Offset of the entry's data in the decompressed tar stream.
        public let offset: Int64
        public let size: Int64

        enum CodingKeys: String, CodingKey, CaseIterable {
            case name, frame, frameCount, offset, size
        }
    }

    public init(dataOffset: Int64, frames: [[Int64]], entries: [Entry]) {
        self.seekTable = 1
        self.dataOffset = dataOffset
        self.frames = frames
        self.entries = entries
    }

    /// The frames (first index, count) that hold stream bytes [offset, offset + size).
    static func frameRange(offset: Int64, size: Int64, frames: [[Int64]]) -> (Int, Int) {
        var start: Int64 = 0
        var first = frames.count - 1
        for (i, frame) in frames.enumerated() {
            let end = start + frame[1]
            if offset < end || (size == 0 && offset <= end) {
                first = i
                break
            }
            start = end
        }
        var last = first
        var end = start + frames[first][1]
        while end < offset + size, last + 1 < frames.count {
            last += 1
            end += frames[last][1]
        }
        return (first, last - first + 1)
    }

    func encoded() throws -> [UInt8] {
        let json = try CanonicalJSON.compactEscapingSlashes(self)
        return json + SkippableFrame.littleEndian64(UInt64(json.count)) + Self.footerMagic
    }

    /// Locates frames: file offsets and decompressed (tar stream) offsets of each frame.
    struct Layout {
        let fileOffsets: [Int64]
        let streamOffsets: [Int64]
        let end: Int64
    }

    /// The seek table is not signed: every number in it is bounded before any arithmetic, so a
    /// hostile value is an error, never an overflow.
    func checkBounds() throws(BundleError) {
        let limit: Int64 = 1 << 50  // 1 PiB: far beyond any bundle
        let counts = Int64(Int32.max)
        let numbersOK = (0...limit).contains(dataOffset)
            && frames.allSatisfy { $0.allSatisfy { (0...limit).contains($0) } }
            && entries.allSatisfy { (0...limit).contains($0.offset) && (0...limit).contains($0.size)
                && (0...counts).contains(Int64($0.frame)) && (0...counts).contains(Int64($0.frameCount)) }
        guard numbersOK else { throw BundleError.verification("the seek table holds out-of-range numbers (damaged or hostile)") }
    }

    /// Checks internal consistency against the file size; returns cumulative offsets.
    func layout(fileSize: Int64) throws(BundleError) -> Layout {
        guard seekTable == 1 else { throw BundleError.unsupportedVersion("unknown seek table version \(seekTable)") }
        try checkBounds()
        var file = dataOffset, stream: Int64 = 0
        var fileOffsets: [Int64] = [], streamOffsets: [Int64] = []
        fileOffsets.reserveCapacity(frames.count)
        for frame in frames {
            guard frame.count == 2, frame[0] > 0, frame[1] >= 0, frame[1] <= Int64(Zstd.maxFrameContentSize) else {
                throw BundleError.verification("the seek table has an invalid frame entry")
            }
            fileOffsets.append(file)
            streamOffsets.append(stream)
            file += frame[0]
            stream += frame[1]
            guard file <= fileSize else { throw BundleError.verification("the seek table points past the end of the file (truncated bundle?)") }
        }
        var previousEnd: Int64 = 0
        for entry in entries {
            guard entry.frame >= 0, entry.frameCount >= 1, entry.frame + entry.frameCount <= frames.count, entry.size >= 0,
                  entry.offset >= streamOffsets[entry.frame], entry.offset >= previousEnd
            else {
                throw BundleError.verification("the seek table entry for \(entry.name) is out of range or overlaps another")
            }
            let last = entry.frame + entry.frameCount - 1
            guard entry.offset + entry.size <= streamOffsets[last] + frames[last][1] else {
                throw BundleError.verification("the seek table entry for \(entry.name) is out of range")
            }
            previousEnd = entry.offset + entry.size
        }
        return Layout(fileOffsets: fileOffsets, streamOffsets: streamOffsets, end: file)
    }
}
