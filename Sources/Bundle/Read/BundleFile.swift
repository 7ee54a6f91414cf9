import Foundation
import OCI

/// Random access to a bundle on disk through its seek table: any one blob can be read without
/// decompressing the others, from several threads at once (positional reads only).
/// Nothing read here is trusted by itself: `checkStructure` holds everything but blob data to the
/// signed manifest, and callers check every blob they read by digest.
public final class BundleFile: @unchecked Sendable {
    // Immutable after init; `pread` on a shared descriptor is safe from any thread.
    public let path: String
    public let header: BundleHeader
    /// The bundle's bytes: one file or the parts of a split bundle (format-spec §13).
    public let input: BundleInput
    let table: SeekTable
    let layout: SeekTable.Layout
    let entries: [String: SeekTable.Entry]
    /// File offset of the seek table's skippable frame header, and its payload size.
    let tableFrame: (offset: Int64, size: Int64)

    public convenience init(path: String) throws {
        try self.init(input: try BundleInput.open(path))
    }

    public init(input: BundleInput) throws {
        self.input = input
        self.path = input.name
        header = try BundleHeader.read(input: input)
        do {
            let size = header.fileSize
            guard size > Int64(SkippableFrame.headerSize + SignatureSlot.size + SeekTable.footerSize) else {
                throw BundleError.truncated(path, "it is shorter than its header says")
            }
            let footer = try input.pread(offset: size - Int64(SeekTable.footerSize), count: SeekTable.footerSize)
            guard Array(footer.suffix(4)) == SeekTable.footerMagic else {
                throw BundleError.truncated(path, "there is no seek table at its end")
            }
            guard let length = Int64(exactly: SkippableFrame.readUInt64(footer)), length > 0, length < 64 << 20, length + Int64(SeekTable.footerSize) + 8 < size else {
                throw BundleError.verification("the seek table of \(path) is damaged")
            }
            // Bounded by what the manifest needs before a byte of it is read.
            let limit = SeekTable.maximumJSONSize(for: header.manifest, manifestSize: header.manifestBytes.count)
            guard length <= Int64(limit) else { throw SeekTable.oversized(Int(length), limit: limit, name: path) }
            let json = try input.pread(offset: size - Int64(SeekTable.footerSize) - length, count: Int(length))
            let table = try SeekTable.decode(json, limit: limit, name: path)
            self.table = table
            tableFrame = (size - Int64(SeekTable.footerSize) - length - Int64(SkippableFrame.headerSize), length + Int64(SeekTable.footerSize))
            layout = try table.layout(fileSize: size)
            var entries: [String: SeekTable.Entry] = [:]
            for entry in table.entries { entries[entry.name] = entry }
            self.entries = entries
        }
    }

    public var manifest: BundleManifest { header.manifest }

    static func pread(_ fd: Int32, offset: Int64, count: Int, path: String) throws(BundleError) -> [UInt8] {
        var bytes: [UInt8] = []
        try pread(fd, offset: offset, count: count, path: path, into: &bytes)
        return bytes
    }

    /// Reads `count` bytes at `offset` into the front of `bytes`, growing it only when too small
    /// (a reused buffer: no allocation per frame).
    static func pread(_ fd: Int32, offset: Int64, count: Int, path: String, into bytes: inout [UInt8], at start: Int = 0) throws(BundleError) {
        if bytes.count < start + count { bytes += [UInt8](repeating: 0, count: start + count - bytes.count) }
        var done = 0
        while done < count {
            let n = bytes.withUnsafeMutableBytes { buffer in
                Foundation.pread(fd, buffer.baseAddress.map { $0 + start + done }, count - done, off_t(offset) + off_t(done))
            }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                throw n == 0 ? BundleError.truncated(path, "it is shorter than its header says") : BundleError.system("read", path)
            }
            done += n
        }
    }

    /// Proves the bundle's structure without reading blob data (format-spec §3, §8), after its
    /// signatures have been checked: the seek table has the shape the signed manifest implies and
    /// sits right after the last data frame; the metadata frames parse as exactly the manifest (the
    /// bytes already verified), oci-layout, index.json (matching its signed digest and listing
    /// exactly the bundle's images) and the two directories; the last frame is the end-of-archive
    /// marker. Each blob's own frames are checked when `reader(for:)` reads them. Returns index.json.
    public func checkStructure() throws -> [UInt8] {
        let frameHeader = try input.pread(offset: tableFrame.offset, count: SkippableFrame.headerSize)
        guard SkippableFrame.readUInt32(frameHeader) == SkippableFrame.seekTableMagic,
              Int64(SkippableFrame.readUInt32(frameHeader.dropFirst(4))) == tableFrame.size
        else {
            throw BundleError.verification("the seek table frame of \(path) is damaged")
        }
        guard layout.end == tableFrame.offset else {
            throw BundleError.verification("\(path) has bytes between its last data frame and its seek table")
        }
        let manifest = header.manifest
        try table.checkShape(of: manifest, manifestSize: header.manifestBytes.count, layout: layout, name: path)

        // The metadata frames, read as any tar reader reads them.
        let firstBlobFrame = table.entries.count > 3 ? table.entries[3].frame : table.frames.count - 1
        let group = try FrameGroup(file: self, frames: 0..<firstBlobFrame)
        let tar = try TarReader { try group.next() }
        var observed: [(name: String, header: Int64, size: Int64)] = []
        func expect(_ name: String, directory: Bool = false, size: Int64 = 0) throws {
            guard let entry = try tar.next(), entry.name == name, directory ? entry.isDirectory : entry.isRegularFile, directory || entry.size == size else {
                throw BundleError.verification("the metadata of \(path) does not hold \(name) where the format puts it (as a \(directory ? "directory" : "\(size)-byte file"))")
            }
            observed.append((entry.name, entry.headerOffset, entry.size))
        }
        try expect(BundleManifest.entryName, size: Int64(header.manifestBytes.count))
        guard try tar.readAll(size: Int64(header.manifestBytes.count), what: "the bundle manifest") == header.manifestBytes else {
            throw BundleError.verification("\(path) holds two different bundle manifests")
        }
        try expect("oci-layout", size: Int64(OCILayout.layoutFile.count))
        guard try tar.readAll(size: Int64(OCILayout.layoutFile.count), what: "oci-layout") == OCILayout.layoutFile else {
            throw BundleError.verification("oci-layout does not hold the expected layout version")
        }
        try expect("index.json", size: manifest.index.size)
        let index = try tar.readAll(size: manifest.index.size, what: "index.json")
        guard try Digest.of(index) == manifest.index.digest else {
            throw BundleError.verification("index.json does not match the digest in the signed manifest")
        }
        try expect("blobs/", directory: true)
        try expect("blobs/sha256/", directory: true)
        if let extra = try tar.next() {
            throw BundleError.verification("\(path) holds an unexpected entry '\(extra.name)' (\(extra.typeDescription)) among its metadata")
        }
        try group.checkConsumed(by: tar)
        try table.checkPlacement(observed, layout: layout, name: path)
        try BundleVerifier.checkIndex(index, of: manifest)

        // The end-of-archive marker: 1024 bytes of NUL, the stream's last.
        let trailer = try FrameGroup(file: self, frames: (table.frames.count - 1)..<table.frames.count, endMarker: false)
        let marker = try trailer.next()
        guard marker.count == 1024, marker.allSatisfy({ $0 == 0 }) else {
            throw BundleError.verification("\(path) has data after the end of its archive")
        }
        return index
    }

    /// Whether the bundle holds the blob's data (delta bundles do not hold external blobs).
    public func contains(_ digest: Digest) -> Bool {
        entries[OCILayout.blobPath(digest)] != nil
    }

    /// A pull-based reader of one blob's bytes, decompressing its frames one at a time (flat
    /// memory). Call `checkStructure` first: it is what ties the blob's frames to the manifest.
    public func reader(for digest: Digest) throws -> BlobReader {
        try reader(for: digest, namingUsers: true)
    }

    func reader(for digest: Digest, namingUsers: Bool) throws -> BlobReader {
        guard let entry = entries[OCILayout.blobPath(digest)] else {
            throw BundleError.verification("\(path) has no blob \(digest) in its seek table")
        }
        return try BlobReader(file: self, entry: entry, digest: digest, namingUsers: namingUsers)
    }

    /// What a blob whose bytes do not hash to its digest is (the `cause` of `damaged`).
    public static let contentMismatch = "is corrupt: its content does not match its digest"

    /// The one sentence for a damaged blob of this file, naming the images that use it (from the
    /// manifests that still read) and the way out. `cause` completes "blob … (used by …)".
    public func damaged(_ digest: Digest, cause: String) -> BundleError {
        damaged(digest, cause: cause, namingUsers: true)
    }

    func damaged(_ digest: Digest, cause: String, namingUsers: Bool) -> BundleError {
        let documents = namingUsers ? BlobUsers.documents(of: self) : [:]
        return BundleError.damaged(path, entry: BlobUsers.describe(digest, in: manifest, documents: documents), cause: cause)
    }

    /// Reads one whole small blob (manifests), checking its digest.
    public func read(_ descriptor: Descriptor) throws -> [UInt8] {
        try read(descriptor, namingUsers: true)
    }

    func read(_ descriptor: Descriptor, namingUsers: Bool) throws -> [UInt8] {
        guard descriptor.size <= 64 << 20 else { throw BundleError.usage("blob \(descriptor.digest) is too large to read at once") }
        let reader = try reader(for: descriptor.digest, namingUsers: namingUsers)
        var bytes = [UInt8](repeating: 0, count: Int(descriptor.size) + 1)
        var filled = 0
        while true {
            let count = try bytes.withUnsafeMutableBytes { try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
            if count == 0 { break }
            filled += count
        }
        bytes.removeLast(bytes.count - filled)
        guard Int64(bytes.count) == descriptor.size, try Digest.of(bytes, algorithm: descriptor.digest.algorithm) == descriptor.digest else {
            throw damaged(descriptor.digest, cause: Self.contentMismatch, namingUsers: namingUsers)
        }
        return bytes
    }

    /// Reads one blob's entry as a tar reader would: its own frames (header, data, padding, and
    /// nothing else, §3.2), decompressed one at a time. Memory: one frame.
    public final class BlobReader {
        let entry: SeekTable.Entry
        let path: String
        private let file: BundleFile
        private let digest: Digest
        private let namingUsers: Bool
        private let group: FrameGroup
        private let tar: TarReader
        private var remaining: Int64
        private var finished = false

        init(file: BundleFile, entry: SeekTable.Entry, digest: Digest, namingUsers: Bool) throws {
            self.entry = entry
            self.path = file.path
            self.file = file
            self.digest = digest
            self.namingUsers = namingUsers
            let group = try FrameGroup(file: file, frames: entry.frame..<(entry.frame + entry.frameCount))
            self.group = group
            // Opening the reader decodes the blob's first frame already.
            self.tar = try Self.naming(digest, in: file, namingUsers: namingUsers) { try TarReader { try group.next() } }
            self.remaining = entry.size
            let first = try naming { try tar.next() }
            guard let first, first.headerOffset == 0, first.name == entry.name, first.isRegularFile, first.size == entry.size else {
                throw BundleError.verification("the tar header of \(entry.name) in \(file.path) does not match the seek table and the signed manifest")
            }
        }

        /// Fills `buffer` with the blob's next bytes; returns how many, 0 at the end (after
        /// checking that nothing but padding follows the data in its frames).
        public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            try naming { try readData(into: buffer) }
        }

        /// A frame that does not decode becomes the sentence that names this blob and its images.
        private func naming<Result>(_ body: () throws -> Result) throws -> Result {
            try Self.naming(digest, in: file, namingUsers: namingUsers, body)
        }

        private static func naming<Result>(_ digest: Digest, in file: BundleFile, namingUsers: Bool, _ body: () throws -> Result) throws -> Result {
            do {
                return try body()
            } catch BundleError.damagedFrame(let cause) {
                throw file.damaged(digest, cause: BundleError.undecodable(cause), namingUsers: namingUsers)
            }
        }

        private func readData(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            var filled = 0
            while filled < buffer.count, remaining > 0 {
                let want = Int(min(Int64(buffer.count - filled), remaining))
                let count = try tar.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<(filled + want)]))
                guard count > 0 else { throw BundleError.truncated(path, "\(entry.name) ends early") }
                filled += count
                remaining -= Int64(count)
            }
            if remaining == 0, !finished {
                finished = true
                if let extra = try tar.next() {
                    throw BundleError.verification("\(path) holds an unexpected entry '\(extra.name)' (\(extra.typeDescription)) in the frames of \(entry.name)")
                }
                try group.checkConsumed(by: tar)
            }
            return filled
        }
    }
}
