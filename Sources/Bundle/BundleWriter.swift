import Foundation
import OCI

/// Where a blob's bytes go while a part is built: hashed, framed and compressed.
public final class BlobSink {
    let write: (UnsafeRawBufferPointer) throws -> Void
    init(_ write: @escaping (UnsafeRawBufferPointer) throws -> Void) { self.write = write }

    public func write(_ bytes: UnsafeRawBufferPointer) throws { try write(bytes) }
    public func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }
}

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

/// An append-only file written through a file descriptor, or a bundle written as parts of at
/// most `partSize` bytes (`B.001`, `B.002`, …, format-spec §13), each hashed as it is written.
public final class FileOutput {
    public let path: String
    /// The first (or only) file: the one that holds the signature slot.
    let fd: Int32
    public private(set) var offset: Int64 = 0
    private let partSize: Int64?
    private var files: [(path: String, fd: Int32)]
    private var digesters: [PartDigester] = []

    public init(creating path: String) throws(BundleError) {
        self.path = path
        fd = try Self.create(path)
        files = [(path, fd)]
        partSize = nil
    }

    /// Writes `bundle.001`, `bundle.002`, … each at most `partSize` bytes.
    public init(creatingParts bundle: String, partSize: Int64) throws(BundleError) {
        self.path = bundle
        self.partSize = partSize
        let first = PartsTable.partPath(bundle, 1)
        fd = try Self.create(first)
        files = [(first, fd)]
        digesters = [PartDigester(start: 0)]
    }

    private static func create(_ path: String) throws(BundleError) -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BundleError.system("create", path) }
        return fd
    }

    deinit { for file in files { close(file.fd) } }

    /// The files written, in order (one unless writing parts).
    public var paths: [String] { files.map(\.path) }

    public func write(_ bytes: [UInt8]) throws(BundleError) {
        do {
            try bytes.withUnsafeBytes { try write($0) }
        } catch let error as BundleError {
            throw error
        } catch {
            throw BundleError.io("cannot write \(path)")
        }
    }

    public func write(_ buffer: UnsafeRawBufferPointer) throws(BundleError) {
        var rest = buffer
        while !rest.isEmpty {
            var take = rest.count
            if let partSize {
                if offset - digesters[digesters.count - 1].start == partSize {
                    guard files.count < PartsTable.maxParts else {
                        throw BundleError.usage("\(path) would need more than \(PartsTable.maxParts) parts of \(partSize) bytes; choose a larger part size")
                    }
                    let next = PartsTable.partPath(path, files.count + 1)
                    files.append((next, try Self.create(next)))
                    digesters.append(PartDigester(start: offset))
                }
                take = Int(min(Int64(take), partSize - (offset - digesters[digesters.count - 1].start)))
            }
            let chunk = UnsafeRawBufferPointer(rebasing: rest.prefix(take))
            try Self.write(chunk, to: files[files.count - 1])
            digesters.last?.update(chunk)
            offset += Int64(take)
            rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(take))
        }
    }

    private static func write(_ buffer: UnsafeRawBufferPointer, to file: (path: String, fd: Int32)) throws(BundleError) {
        var done = 0
        while done < buffer.count {
            let count = Foundation.write(file.fd, buffer.baseAddress.map { $0 + done }, buffer.count - done)
            if count < 0 {
                if errno == EINTR { continue }
                throw BundleError.system("write", file.path)
            }
            done += count
        }
    }

    public func sync() throws(BundleError) {
        for file in files {
            guard fsync(file.fd) == 0 else { throw BundleError.system("flush", file.path + " to disk") }
        }
    }

    /// The parts table of what was written as parts of the bundle whose manifest is `manifestDigest`.
    func partsTable(manifestDigest: Digest) throws(BundleError) -> PartsTable {
        guard let partSize else { throw BundleError.usage("\(path) was not written as parts") }
        var parts: [PartsTable.Part] = []
        for digester in digesters { parts.append(try digester.finish()) }
        return PartsTable(manifestDigest: manifestDigest, partSize: partSize, parts: parts)
    }
}

/// One blob's tar entry, compressed into frames in a file of its own, ready to be appended.
public struct BundlePart: Sendable {
    let path: String
    let name: String
    let descriptor: Descriptor?
    /// [compressed, decompressed] per frame.
    let frames: [[Int64]]
    /// Tar-stream offset of the data relative to the part's start.
    let dataOffset: Int64
    let size: Int64
}

/// Writes a bundle: parts are built independently (in parallel if the caller wants), then
/// `finish` lays them out in order behind the signature slot, appends the seek table, signs,
/// and renames the result into place. Until then nothing exists at the output path.
///
/// Parts live in a work directory beside the output, named after it and locked while a pack
/// runs. A finished part (its frames recorded beside it) outlives an interrupted or failed pack,
/// and the next pack to the same output reuses it instead of fetching the blob again.
public final class BundleWriter: @unchecked Sendable {
    // Immutable after init; each part has a file of its own, named by digest.
    public let outputPath: String
    let workDirectory: String
    let mtime: Int64
    /// Held open for the writer's life: its flock keeps a second pack out of the work directory.
    private let lock: Int32

    /// Compression level for blobs that are already compressed (stored quickly as raw blocks).
    public static let compressedBlobLevel: Int32 = 1
    public static let defaultLevel: Int32 = 3

    public init(outputPath: String, mtime: Int64) throws(BundleError) {
        self.outputPath = outputPath
        self.mtime = mtime
        let work = Self.workDirectory(for: outputPath)
        BundleWriter.removeStaleWork(in: parentFolder(of: work))
        do {
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: false)
        } catch CocoaError.fileWriteFileExists {
            // An interrupted pack's parts: reused below.
        } catch {
            throw BundleError.io("cannot create a work directory beside \(outputPath): is its folder writable?")
        }
        lock = open("\(work)/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lock >= 0 else { throw BundleError.system("create", "\(work)/lock") }
        guard flock(lock, LOCK_EX | LOCK_NB) == 0 else {
            close(lock)
            throw BundleError.usage("another airlock pack is writing \(outputPath) (its work is in \(work)); wait for it, or write elsewhere")
        }
        self.workDirectory = work
        do {
            // The creation time fixes every tar mtime, so a re-run reuses parts only at the same time.
            try FileOutput(creating: "\(work)/created").write(Array("\(mtime)\n".utf8))
            try? FileManager.default.removeItem(atPath: "\(work)/bundle")
        } catch {
            close(lock)
            throw error
        }
    }

    deinit { close(lock) }

    /// The work directory of a pack to `outputPath`: `.airlock-pack.NAME` beside it.
    public static func workDirectory(for outputPath: String) -> String {
        let directory = parentFolder(of: outputPath)
        let parent = directory.isEmpty ? "." : directory
        return "\(parent)/.airlock-pack.\((outputPath as NSString).lastPathComponent)"
    }

    /// The creation time of an interrupted pack to `outputPath`, so that a re-run without
    /// SOURCE_DATE_EPOCH writes the same tar headers and can reuse its parts.
    public static func interruptedCreationTime(outputPath: String) -> Int64? {
        guard let text = try? String(contentsOfFile: "\(workDirectory(for: outputPath))/created", encoding: .utf8) else { return nil }
        return Int64(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Bytes of finished parts kept in the work directory of a pack to `outputPath`.
    public static func keptBytes(outputPath: String) -> Int64 {
        let work = workDirectory(for: outputPath)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: work)) ?? []
        return names.filter { $0.hasSuffix(".part") }.reduce(Int64(0)) { total, name in
            let size = (try? FileManager.default.attributesOfItem(atPath: "\(work)/\(name)")[.size] as? NSNumber)?.int64Value ?? 0
            return total + size
        }
    }

    /// Removes work directories that airlock 0.1 left behind for packs that were killed (their process is gone).
    static func removeStaleWork(in directory: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix(".airlock-pack-") {
            let pidText = name.dropFirst(".airlock-pack-".count).prefix { $0 != "-" }
            guard let pid = Int32(pidText), pid != getpid() else { continue }
            if kill(pid, 0) != 0, errno == ESRCH {
                try? FileManager.default.removeItem(atPath: "\(directory)/\(name)")
            }
        }
    }

    /// Removes the work directory (after success: everything is in the bundle).
    func removeWork() {
        try? FileManager.default.removeItem(atPath: workDirectory)
    }

    /// After a failure: removes what is unfinished and keeps finished parts for the next run.
    public func discard() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: workDirectory)) ?? []
        for name in names where name.hasSuffix(".partial") || name.hasPrefix("bundle") {
            try? FileManager.default.removeItem(atPath: "\(workDirectory)/\(name)")
        }
        if !names.contains(where: { $0.hasSuffix(".part") }) { removeWork() }
    }

    /// The level for a blob: cheap for layers that are already compressed.
    public static func level(for mediaType: String) -> Int32 {
        let lower = mediaType.lowercased()
        return lower.hasSuffix("gzip") || lower.hasSuffix("zstd") || lower.contains("+gzip") || lower.contains("+zstd")
            ? compressedBlobLevel : defaultLevel
    }

    /// A finished part an earlier, interrupted pack left, if it was made the same way.
    public func reusablePart(for descriptor: Descriptor) -> BundlePart? {
        let path = "\(workDirectory)/\(descriptor.digest.hex).part"
        guard let data = FileManager.default.contents(atPath: path + ".json"),
              let record = try? JSONDecoder().decode(PartRecord.self, from: data),
              record.digest == descriptor.digest, record.size == descriptor.size, record.mtime == mtime,
              record.level == Self.level(for: descriptor.mediaType),
              let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              (attributes[.size] as? NSNumber)?.int64Value == record.frames.reduce(0, { $0 + $1[0] })
        else { return nil }
        return BundlePart(path: path, name: OCILayout.blobPath(descriptor.digest), descriptor: descriptor,
                          frames: record.frames, dataOffset: record.dataOffset, size: descriptor.size)
    }

    /// How a finished part was made, recorded beside it for reuse.
    struct PartRecord: Codable {
        let digest: Digest
        let size: Int64
        let mtime: Int64
        let level: Int32
        let dataOffset: Int64
        let frames: [[Int64]]
    }

    /// Builds the part for one blob: `fill` writes its bytes; they are hashed and must match.
    /// The part gets its final name only once complete, with its record beside it.
    public func part(for descriptor: Descriptor, fill: (BlobSink) async throws -> Void) async throws -> BundlePart {
        let name = OCILayout.blobPath(descriptor.digest)
        let path = "\(workDirectory)/\(descriptor.digest.hex).part"
        let output = try FileOutput(creating: path + ".partial")
        let frames = try FrameSink(level: Self.level(for: descriptor.mediaType), output: output)
        let tar = try TarWriter(mtime: mtime) { try frames.write($0) }
        try tar.file(name, size: descriptor.size)
        let dataOffset = frames.written
        let hasher = DigestHasher(descriptor.digest.algorithm)
        var count: Int64 = 0
        let sink = BlobSink { bytes in
            count += Int64(bytes.count)
            guard count <= descriptor.size else {
                throw BundleError.verification("blob \(descriptor.digest) is larger than its declared \(descriptor.size) bytes")
            }
            hasher.update(bytes)
            try tar.data(bytes)
        }
        try await fill(sink)
        guard count == descriptor.size else {
            throw BundleError.verification("blob \(descriptor.digest) has \(count) bytes, expected \(descriptor.size)")
        }
        let actual = try hasher.finalize()
        guard actual == descriptor.digest else {
            throw BundleError.verification("blob \(descriptor.digest) hashes to \(actual)")
        }
        try tar.finishEntry()
        tar.abandonTrailer()
        try frames.flush()
        let record = PartRecord(digest: descriptor.digest, size: descriptor.size, mtime: mtime, level: Self.level(for: descriptor.mediaType),
                                dataOffset: dataOffset, frames: frames.frames)
        try FileOutput(creating: path + ".json").write(try CanonicalJSON.compact(record))
        guard rename(path + ".partial", path) == 0 else { throw BundleError.system("rename", path + ".partial") }
        return BundlePart(path: path, name: name, descriptor: descriptor, frames: frames.frames, dataOffset: dataOffset, size: descriptor.size)
    }

    public struct Result: Sendable {
        public let path: String
        /// The parts written (`B.001`, …) when the bundle was split; empty otherwise.
        public let parts: [String]
        public let size: Int64
        public let manifestDigest: Digest
        public let signatures: [BundleSignature]
    }

    /// Lays out the bundle and moves it to `outputPath`.
    /// `parts` must be in `manifest.blobs` order (the caller built one per blob).
    /// With `partSize`, the bundle is written as parts of at most that many bytes (format-spec §13).
    public func finish(manifest: BundleManifest, indexJSON: [UInt8], parts: [BundlePart], signers: [PrivateKey], partSize: Int64? = nil) throws -> Result {
        let manifestBytes = try manifest.encoded()
        let temporary = "\(workDirectory)/bundle"
        let output = try partSize.map { size throws(BundleError) in try FileOutput(creatingParts: temporary, partSize: size) } ?? FileOutput(creating: temporary)
        try output.write(try SignatureSlot().frame())
        let dataOffset = output.offset

        var layout = try writeMetadata(manifestBytes: manifestBytes, indexJSON: indexJSON, to: output)
        try append(parts, to: output, layout: &layout)
        try writeEndOfArchive(to: output, layout: &layout)
        let table = try SeekTable(dataOffset: dataOffset, frames: layout.frames, entries: layout.entries).encoded()
        try output.write(SkippableFrame.header(magic: SkippableFrame.seekTableMagic, size: table.count) + table)

        let signatures = try signers.map { key throws(BundleError) in try BundleSignature.sign(manifestBytes, with: key) }
        try writeSlot(SignatureSlot(signatures: signatures), fd: output.fd, path: temporary)
        try output.sync()
        let manifestDigest = try Digest.of(manifestBytes)
        let placed = try place(output, from: temporary, asParts: partSize != nil, manifestDigest: manifestDigest)
        let size = output.offset
        removeWork()
        return Result(path: placed.first ?? outputPath, parts: placed, size: size, manifestDigest: manifestDigest, signatures: signatures)
    }

    /// The frames and entries written so far, and where the tar stream has reached.
    private struct StreamLayout {
        var frames: [[Int64]] = []
        var entries: [SeekTable.Entry] = []
        var streamOffset: Int64 = 0
    }

    /// The metadata frames: the bundle manifest first, then the OCI layout files and directories.
    private func writeMetadata(manifestBytes: [UInt8], indexJSON: [UInt8], to output: FileOutput) throws -> StreamLayout {
        var entries: [SeekTable.Entry] = []
        let metadata = try FrameSink(level: Self.defaultLevel, output: output)
        let tar = try TarWriter(mtime: mtime) { try metadata.write($0) }
        for (name, bytes) in [(BundleManifest.entryName, manifestBytes), ("oci-layout", OCILayout.layoutFile), ("index.json", indexJSON)] {
            try tar.file(name, size: Int64(bytes.count))
            let offset = metadata.written
            try bytes.withUnsafeBytes { try tar.data($0) }
            try tar.finishEntry()
            entries.append(SeekTable.Entry(name: name, frame: 0, frameCount: 0, offset: offset, size: Int64(bytes.count)))
        }
        try tar.directory("blobs/")
        try tar.directory("blobs/sha256/")
        tar.abandonTrailer()
        try metadata.flush()
        entries = entries.map { entry in
            let (first, count) = SeekTable.frameRange(offset: entry.offset, size: entry.size, frames: metadata.frames)
            return SeekTable.Entry(name: entry.name, frame: first, frameCount: count, offset: entry.offset, size: entry.size)
        }
        return StreamLayout(frames: metadata.frames, entries: entries, streamOffset: metadata.written)
    }

    /// Appends each part's frames, removing the part once its bytes are in the bundle.
    private func append(_ parts: [BundlePart], to output: FileOutput, layout: inout StreamLayout) throws {
        for part in parts {
            layout.entries.append(SeekTable.Entry(name: part.name, frame: layout.frames.count, frameCount: part.frames.count,
                                                  offset: layout.streamOffset + part.dataOffset, size: part.size))
            try append(part.path, to: output)
            layout.frames += part.frames
            layout.streamOffset += part.frames.reduce(0) { $0 + $1[1] }
            // Its bytes are in the bundle now: free the disk (a pack needs about one bundle of space).
            try? FileManager.default.removeItem(atPath: part.path + ".json")
            try? FileManager.default.removeItem(atPath: part.path)
        }
    }

    /// The end-of-archive marker in a frame of its own.
    private func writeEndOfArchive(to output: FileOutput, layout: inout StreamLayout) throws {
        let trailer = try FrameSink(level: Self.defaultLevel, output: output)
        let end = try TarWriter(mtime: mtime) { try trailer.write($0) }
        try end.finishArchive()
        try trailer.flush()
        layout.frames += trailer.frames
    }

    /// Moves the finished bundle (or its parts) to `outputPath`; the part paths, or none.
    private func place(_ output: FileOutput, from temporary: String, asParts: Bool, manifestDigest: Digest) throws -> [String] {
        if asParts { return try output.placeParts(as: outputPath, manifestDigest: manifestDigest) }
        guard rename(temporary, outputPath) == 0 else {
            throw BundleError.system("move the bundle to", outputPath)
        }
        return []
    }

    private func append(_ path: String, to output: FileOutput) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BundleError.system("read back", path) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw BundleError.system("read back", path) }
            if count == 0 { break }
            try buffer.withUnsafeBytes { try output.write(UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }
        }
    }
}


/// Rewrites the signature slot at offset 0 of an open bundle.
func writeSlot(_ slot: SignatureSlot, fd: Int32, path: String) throws(BundleError) {
    let frame = try slot.frame()
    let written = frame.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    guard written == frame.count else {
        throw BundleError.system("write signatures to", path)
    }
}

/// Fixed files of the OCI image layout.
/// https://github.com/opencontainers/image-spec/blob/main/image-layout.md
public enum OCILayout {
    public static let layoutFile = Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8)
    public static let refNameAnnotation = "org.opencontainers.image.ref.name"
    public static let imageNameAnnotation = "io.containerd.image.name"

    /// A blob's path in the layout (and its tar entry name): `blobs/<algorithm>/<hex>`.
    public static func blobPath(_ digest: Digest) -> String { "blobs/\(digest.algorithm.rawValue)/\(digest.hex)" }

    /// index.json for `images`: one descriptor each, in the given order, compact and deterministic.
    public static func indexJSON(_ manifests: [Descriptor]) throws -> [UInt8] {
        let index = ImageIndex(mediaType: MediaType.ociIndex, manifests: manifests)
        return try CanonicalJSON.compact(index)
    }
}

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
