import Foundation
import OCI

/// A local file read in 1 MiB chunks (charts, files and folders being packed): one reader for all.
public enum LocalFile {
    /// Hands each chunk of the file at `path` to `body`, in order; `shown` names it in errors.
    public static func forEachChunk(_ path: String, shown: String? = nil, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw BundleError.io("cannot read \(shown ?? path)") }
        defer { try? handle.close() }
        while true {
            let chunk: Data
            do {
                chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            } catch {
                throw BundleError.io("cannot read \(shown ?? path)")
            }
            if chunk.isEmpty { return }
            try chunk.withUnsafeBytes(body)
        }
    }

    /// SHA-256 and size of the file at `path`, streamed.
    public static func digest(_ path: String, shown: String? = nil) throws -> (Digest, Int64) {
        let hasher = DigestHasher()
        var size: Int64 = 0
        try forEachChunk(path, shown: shown) { chunk in
            size += Int64(chunk.count)
            hasher.update(chunk)
        }
        return (try hasher.finalize(), size)
    }
}

/// The folder holding `path` (`.` for a bare name), computed by hand: NSString's
/// deletingLastPathComponent crashes on one-character paths in this Foundation (`--to-dir x`).
public func parentFolder(of path: String) -> String {
    var trimmed = Substring(path)
    while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
    guard let slash = trimmed.lastIndex(of: "/") else { return "." }
    let folder = trimmed[..<slash]
    return folder.isEmpty ? "/" : String(folder)
}
