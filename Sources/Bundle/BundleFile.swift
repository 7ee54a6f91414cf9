import Foundation
import OCI

/// Random access to a bundle on disk through its seek table: any one blob can be read without
/// decompressing the others, from several threads at once (positional reads only).
/// Nothing read here is trusted by itself: callers check every blob against the signed manifest.
public final class BundleFile: @unchecked Sendable {
    // Immutable after init; `pread` on a shared descriptor is safe from any thread.
    public let path: String
    public let header: BundleHeader
    let fd: Int32
    let table: SeekTable
    let layout: SeekTable.Layout
    let entries: [String: SeekTable.Entry]

    public init(path: String) throws {
        self.path = path
        header = try BundleHeader.read(path: path)
        fd = try openForReading(path)
        do {
            let size = header.fileSize
            guard size > Int64(SkippableFrame.headerSize + SignatureSlot.size + SeekTable.footerSize) else {
                throw BundleError.truncated(path, "it is shorter than its header says")
            }
            let footer = try Self.pread(fd, offset: size - Int64(SeekTable.footerSize), count: SeekTable.footerSize, path: path)
            guard Array(footer.suffix(4)) == SeekTable.footerMagic else {
                throw BundleError.truncated(path, "there is no seek table at its end")
            }
            guard let length = Int64(exactly: SkippableFrame.readUInt64(footer)), length > 0, length < 64 << 20, length + Int64(SeekTable.footerSize) + 8 < size else {
                throw BundleError.verification("the seek table of \(path) is damaged")
            }
            let json = try Self.pread(fd, offset: size - Int64(SeekTable.footerSize) - length, count: Int(length), path: path)
            guard let table = try? JSONDecoder().decode(SeekTable.self, from: Data(json)) else {
                throw BundleError.verification("the seek table of \(path) is damaged")
            }
            self.table = table
            layout = try table.layout(fileSize: size)
            var entries: [String: SeekTable.Entry] = [:]
            for entry in table.entries { entries[entry.name] = entry }
            self.entries = entries
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    public var manifest: BundleManifest { header.manifest }

    static func pread(_ fd: Int32, offset: Int64, count: Int, path: String) throws(BundleError) -> [UInt8] {
        var bytes: [UInt8] = []
        try pread(fd, offset: offset, count: count, path: path, into: &bytes)
        return bytes
    }

    /// Reads `count` bytes at `offset` into the front of `bytes`, growing it only when too small
    /// (a reused buffer: no allocation per frame).
    static func pread(_ fd: Int32, offset: Int64, count: Int, path: String, into bytes: inout [UInt8]) throws(BundleError) {
        if bytes.count < count { bytes = [UInt8](repeating: 0, count: count) }
        var done = 0
        while done < count {
            let n = bytes.withUnsafeMutableBytes { buffer in
                Foundation.pread(fd, buffer.baseAddress.map { $0 + done }, count - done, off_t(offset) + off_t(done))
            }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                throw n == 0 ? BundleError.truncated(path, "it is shorter than its header says") : BundleError.system("read", path)
            }
            done += n
        }
    }

    /// Whether the bundle holds the blob's data (delta bundles do not hold external blobs).
    public func contains(_ digest: Digest) -> Bool {
        entries["blobs/\(digest.algorithm.rawValue)/\(digest.hex)"] != nil
    }

    /// A pull-based reader of one blob's bytes: each call decompresses the next frame.
    /// Memory: one frame at a time. Returns nil at the end.
    public func reader(for digest: Digest) throws -> BlobReader {
        guard let entry = entries["blobs/\(digest.algorithm.rawValue)/\(digest.hex)"] else {
            throw BundleError.verification("\(path) has no blob \(digest) in its seek table")
        }
        return try BlobReader(file: self, entry: entry)
    }

    /// Reads one whole small blob (manifests), checking its digest.
    public func read(_ descriptor: Descriptor) throws -> [UInt8] {
        guard descriptor.size <= 64 << 20 else { throw BundleError.usage("blob \(descriptor.digest) is too large to read at once") }
        let reader = try reader(for: descriptor.digest)
        var bytes: [UInt8] = []
        while let chunk = try reader.next() { bytes += chunk }
        guard Int64(bytes.count) == descriptor.size, Digest.of(bytes, algorithm: descriptor.digest.algorithm) == descriptor.digest else {
            throw BundleError.verification("blob \(descriptor.digest) in \(path) is corrupt")
        }
        return bytes
    }

    public final class BlobReader {
        let file: BundleFile
        let entry: SeekTable.Entry
        let decompressor: ZstdFrameDecompressor
        var frame: Int
        var remaining: Int64
        /// Reused for every frame's compressed bytes.
        private var compressed: [UInt8] = []

        init(file: BundleFile, entry: SeekTable.Entry) throws {
            self.file = file
            self.entry = entry
            self.decompressor = try ZstdFrameDecompressor()
            self.frame = entry.frame
            self.remaining = entry.size
        }

        /// The next piece of the blob's data, or nil when all of it has been returned.
        public func next() throws -> [UInt8]? {
            var buffer: [UInt8] = []
            guard let range = try next(into: &buffer) else { return nil }
            // Most frames belong wholly to one blob: hand the buffer over without a copy.
            return range == buffer.indices ? buffer : Array(buffer[range])
        }

        /// Decompresses the next frame into `buffer` (reused across calls: flat memory, no
        /// allocation per frame) and returns the part of it that is the blob's, or nil at the end.
        public func next(into buffer: inout [UInt8]) throws -> Range<Int>? {
            while remaining > 0 {
                guard frame < entry.frame + entry.frameCount else {
                    throw BundleError.verification("the seek table entry for \(entry.name) ends early")
                }
                let compressedSize = Int(file.table.frames[frame][0])
                let decompressedSize = Int(file.table.frames[frame][1])
                try BundleFile.pread(file.fd, offset: file.layout.fileOffsets[frame], count: compressedSize, path: file.path, into: &compressed)
                try decompressor.decompress(compressed, count: compressedSize, into: &buffer, expectedSize: decompressedSize,
                                            what: "\(file.path), frame \(frame)")
                let frameStart = file.layout.streamOffsets[frame]
                let from = Int(max(entry.offset, frameStart) - frameStart)
                frame += 1
                guard from < decompressedSize else { continue }  // the data starts in a later frame
                let take = Int(min(Int64(decompressedSize - from), remaining))
                remaining -= Int64(take)
                return from..<(from + take)
            }
            return nil
        }
    }
}
