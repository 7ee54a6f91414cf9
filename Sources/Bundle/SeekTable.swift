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

extension SeekTable {
    /// An entry's data starts one header (with any pax header: whole 512-byte blocks, at most
    /// 64 KiB) after the header's start (§8 step 10).
    static func isHeaderGap(_ gap: Int64) -> Bool { gap >= 512 && gap % 512 == 0 && gap <= 64 << 10 }

    /// Where an entry's data ends once padded to whole 512-byte tar blocks (its offset is on a block).
    static func paddedEnd(of entry: Entry) -> Int64 { entry.offset + (entry.size + 511) / 512 * 512 }

    /// Holds the table to the shape format-spec §3.2–3.5 fixes for a bundle with this signed
    /// manifest, from the table alone: exactly the manifest, oci-layout, index.json and every
    /// stored blob, in that order and with those sizes; the metadata in frames of its own; each
    /// blob's entry (header, data, padding) alone in whole frames; then one 1024-byte frame for
    /// the end-of-archive marker. A reader that then reads the frames it needs (not all of them)
    /// still refuses every bundle whose structure is wrong.
    func checkShape(of manifest: BundleManifest, manifestSize: Int, layout: Layout, name: String) throws(BundleError) {
        guard dataOffset == Int64(SkippableFrame.headerSize + SignatureSlot.size) else {
            throw BundleError.verification("the seek table of \(name) does not start its frames after the signature slot")
        }
        let expected = [(BundleManifest.entryName, Int64(manifestSize)), ("oci-layout", Int64(OCILayout.layoutFile.count)), ("index.json", manifest.index.size)]
            + manifest.blobs.map { (OCILayout.blobPath($0.digest), $0.size) }
        let differs = entries.indices.first { $0 < expected.count && (entries[$0].name != expected[$0].0 || entries[$0].size != expected[$0].1) }
        let shorter = entries.count == expected.count ? nil : min(entries.count, expected.count)
        if let at = differs ?? shorter {
            let names = Set(entries.map(\.name))
            if let absent = manifest.blobs.first(where: { !names.contains(OCILayout.blobPath($0.digest)) }) {
                throw BundleError.verification("the seek table of \(name) does not list blob \(absent.digest), which its signed manifest lists (truncated or tampered)")
            }
            guard at < entries.count else {
                throw BundleError.verification("the seek table of \(name) does not list \(expected[at].0), which the format requires")
            }
            let found = "the seek table of \(name) lists '\(entries[at].name)' (\(entries[at].size) bytes)"
            guard at < expected.count else { throw BundleError.verification("\(found) after its last blob: an unexpected entry") }
            throw BundleError.verification("\(found) where its signed manifest and the format put '\(expected[at].0)' (\(expected[at].1) bytes): an unexpected, repeated or misordered entry")
        }
        guard frames.allSatisfy({ $0[1] > 0 }) else { throw BundleError.verification("\(name) has an empty data frame") }
        let trailer = frames.count - 1
        guard trailer > 0, frames[trailer][1] == 1024 else {
            throw BundleError.verification("\(name) has data after the end-of-archive marker, or no marker frame")
        }
        // Group boundaries: metadata [0, first blob's frame), each blob [its frame, the next's), trailer.
        let blobEntries = entries.dropFirst(3)
        let starts = blobEntries.map(\.frame) + [trailer]
        for entry in entries.prefix(3) {
            let (frame, count) = Self.frameRange(offset: entry.offset, size: entry.size, frames: frames)
            guard entry.frame == frame, entry.frameCount == count, frame + count <= starts[0] else {
                throw BundleError.verification("the seek table of \(name) misplaces \(entry.name)")
            }
        }
        for (index, entry) in blobEntries.enumerated() {
            let header = entry.offset - layout.streamOffsets[entry.frame]
            guard Self.isHeaderGap(header), entry.frame + entry.frameCount == starts[index + 1],
                  Self.paddedEnd(of: entry) == layout.streamOffsets[starts[index + 1]]
            else {
                throw BundleError.verification("the seek table of \(name) misplaces \(entry.name) (each blob's entry fills whole frames of its own)")
            }
        }
    }

    /// Holds the table to where a sequential reader found the entries (`observed`: every entry's
    /// name, header offset and size, directories included, in stream order): data right after its
    /// header (whole 512-byte blocks), the next header right after the padding, each blob's header
    /// at the start of its first frame.
    func checkPlacement(_ observed: [(name: String, header: Int64, size: Int64)], layout: Layout, name: String) throws(BundleError) {
        let files = observed.enumerated().filter { !$0.element.name.hasSuffix("/") }
        for (entry, (index, actual)) in zip(entries, files) {
            let nextHeader = index + 1 < observed.count ? observed[index + 1].header : nil
            let gap = entry.offset - actual.header
            guard entry.name == actual.name, entry.size == actual.size, Self.isHeaderGap(gap),
                  nextHeader.map({ Self.paddedEnd(of: entry) == $0 }) ?? true,
                  !entry.name.hasPrefix("blobs/") || actual.header == layout.streamOffsets[entry.frame]
            else {
                throw BundleError.verification("the seek table of \(name) misplaces \(entry.name)")
            }
        }
    }
}
