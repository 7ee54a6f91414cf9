import Foundation
import OCI

/// Gzip-compressed tar archives besides the bundle itself: a Helm chart's `.tgz` (read), and a
/// folder carried the way ORAS carries one (written at pack, read back by `extract`). The C calls
/// stay in TarWriter.swift and TarReader.swift; this file speaks in names, paths and digests.
public enum GzipTar {
    /// One entry of a folder archive, in the order it is written.
    public enum Member: Sendable, Hashable {
        case directory(name: String)
        /// A regular file: its name in the archive, where its bytes are now, and how many there are.
        case file(name: String, path: String, size: Int64, executable: Bool)
        case symlink(name: String, target: String)
    }

    /// What `write` made: the gzip file's digest and size, and the digest of the tar inside it.
    public struct Written: Sendable, Hashable {
        public let digest: Digest
        public let size: Int64
        public let tarDigest: Digest
    }

    /// Writes `members` as one tar+gzip file at `output`: fixed owner (0), mtime and modes (0755
    /// for directories and executables, else 0644), no time in the gzip header. The tar is written
    /// twice (once plain, to hash it), so the files are read twice; a file that changes between
    /// the two is refused.
    public static func write(_ members: [Member], mtime: Int64, to output: String) throws -> Written {
        let plain = DigestHasher()
        try emit(members, mtime: mtime, gzip: false) { plain.update($0) }
        let file = try FileOutput(creating: output)
        let compressed = DigestHasher()
        try emit(members, mtime: mtime, gzip: true) { bytes in
            compressed.update(bytes)
            try file.write(bytes)
        }
        try file.sync()
        return Written(digest: try compressed.finalize(), size: file.offset, tarDigest: try plain.finalize())
    }

    private static func emit(_ members: [Member], mtime: Int64, gzip: Bool, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        let writer = try TarWriter(mtime: mtime, gzip: gzip, sink: sink)
        for member in members {
            switch member {
            case .directory(let name):
                try writer.directory(name)
            case .symlink(let name, let target):
                try writer.symlink(name, target: target)
            case .file(let name, let path, let size, let executable):
                try writer.file(name, size: size, mode: executable ? 0o755 : 0o644)
                var copied: Int64 = 0
                try LocalFile.forEachChunk(path) { chunk in
                    copied += Int64(chunk.count)
                    guard copied <= size else { throw BundleError.io("\(path) changed while it was being packed") }
                    try writer.data(chunk)
                }
                guard copied == size else { throw BundleError.io("\(path) changed while it was being packed") }
                try writer.finishEntry()
            }
        }
        try writer.finishArchive()
    }

    /// The entries of a gzip-compressed tar file, with the bytes of those `wanted` (each at most
    /// `limit` bytes). Throws a sentence when the file is not a gzip-compressed tar.
    public static func entries(ofFile path: String, limit: Int, wanted: (String) -> Bool) throws -> [(name: String, bytes: [UInt8]?)] {
        try withReader(ofFile: path) { reader in
            var result: [(name: String, bytes: [UInt8]?)] = []
            while let entry = try reader.next() {
                guard entry.isRegularFile, wanted(entry.name) else {
                    result.append((entry.name, nil))
                    continue
                }
                guard entry.size <= Int64(limit) else { throw BundleError.usage("\(entry.name) in \(path) is larger than \(limit) bytes") }
                result.append((entry.name, try readAll(reader, size: Int(entry.size))))
            }
            return result
        }
    }

    /// A reader over the gzip'd tar file at `path`, for the length of `body`.
    static func withReader<T>(ofFile path: String, _ body: (TarReader) throws -> T) throws -> T {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BundleError.system("read", path) }
        defer { close(fd) }
        // Owned, so no pointer outlives the closure that made it.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        let reader = try TarReader(gzip: true) {
            while true {
                let count = read(fd, buffer.baseAddress, buffer.count)
                if count < 0, errno == EINTR { continue }
                guard count >= 0 else { throw BundleError.system("read", path) }
                return UnsafeRawBufferPointer(rebasing: buffer[..<count])
            }
        }
        return try body(reader)
    }

    private static func readAll(_ reader: TarReader, size: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let count = try bytes.withUnsafeMutableBytes { try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
            guard count > 0 else { break }
            filled += count
        }
        return Array(bytes[..<filled])
    }
}
