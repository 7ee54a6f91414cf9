import Foundation
import OCI

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
    /// `onBytes` hears of every part's bytes as they are appended (`BundlePart.compressedSize` in all).
    public func finish(manifest: BundleManifest, indexJSON: [UInt8], parts: [BundlePart], signers: [PrivateKey], partSize: Int64? = nil,
                       onBytes: (Int64) -> Void = { _ in }) throws -> Result {
        let manifestBytes = try manifest.encoded()
        let temporary = "\(workDirectory)/bundle"
        let output = try partSize.map { size throws(BundleError) in try FileOutput(creatingParts: temporary, partSize: size) } ?? FileOutput(creating: temporary)
        try output.write(try SignatureSlot().frame())
        let dataOffset = output.offset

        var layout = try writeMetadata(manifestBytes: manifestBytes, indexJSON: indexJSON, to: output)
        try append(parts, to: output, layout: &layout, onBytes: onBytes)
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
    private func append(_ parts: [BundlePart], to output: FileOutput, layout: inout StreamLayout, onBytes: (Int64) -> Void) throws {
        for part in parts {
            layout.entries.append(SeekTable.Entry(name: part.name, frame: layout.frames.count, frameCount: part.frames.count,
                                                  offset: layout.streamOffset + part.dataOffset, size: part.size))
            try append(part.path, to: output, onBytes: onBytes)
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

    private func append(_ path: String, to output: FileOutput, onBytes: (Int64) -> Void) throws {
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
            onBytes(Int64(count))
        }
    }
}
