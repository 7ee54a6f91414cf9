import Foundation
import OCI

/// Makes rewriting the signature slot crash-safe (format-spec §5.5). Before the slot is
/// overwritten, the new slot frame is written whole to `B.airlock-sign` (a temporary name, synced,
/// then renamed), together with a fingerprint of the bundle it belongs to. A crash while the slot
/// is written leaves that journal beside a torn slot; the next `sign` finds it, writes the slot
/// again from it, and removes it. Readers of a torn slot say so and point at `sign`.
enum SigningJournal {
    /// Bytes after the slot that the fingerprint covers (the front of the manifest's frames).
    static let fingerprintSpan = 65536
    /// frame | SHA-256 of the fingerprint span as 64 hex digits | file size (8 bytes, little-endian).
    static let size = SkippableFrame.headerSize + SignatureSlot.size + 64 + 8

    static func path(for bundle: String) -> String { bundle + ".airlock-sign" }

    /// What ties a journal to one bundle without reading its (possibly torn) slot.
    static func fingerprint(fd: Int32, path: String) throws(BundleError) -> [UInt8] {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw BundleError.system("read", path) }
        let start = Int64(SkippableFrame.headerSize + SignatureSlot.size)
        let count = Int(min(Int64(fingerprintSpan), max(0, Int64(info.st_size) - start)))
        let span = try BundleFile.pread(fd, offset: start, count: count, path: path)
        var size = UInt64(info.st_size).littleEndian
        let sizeBytes = withUnsafeBytes(of: &size) { Array($0) }
        return Array(try Digest.checked(span).hex.utf8) + sizeBytes
    }

    /// Writes the journal for `frame` (the new slot) and makes it durable.
    static func write(_ frame: [UInt8], fd: Int32, bundle: String) throws(BundleError) {
        let journal = path(for: bundle)
        let temporary = journal + ".tmp"
        let output = try FileOutput(creating: temporary)
        try output.write(frame + (try fingerprint(fd: fd, path: bundle)))
        try output.sync()
        guard rename(temporary, journal) == 0 else { throw BundleError.system("create", journal) }
        try syncDirectory(of: bundle)
    }

    /// Removes the journal once the slot is durable.
    static func remove(bundle: String) throws(BundleError) {
        guard unlink(path(for: bundle)) == 0 || errno == ENOENT else { throw BundleError.system("remove", path(for: bundle)) }
        try syncDirectory(of: bundle)
    }

    /// Finishes an interrupted signing: when a journal for this bundle exists, its slot is written
    /// again (the rewrite may have been torn) and the journal removed. A journal that belongs to
    /// another file (the bundle was replaced since) or is incomplete never touched the slot, and is
    /// removed. Returns whether the slot was rewritten.
    @discardableResult
    static func recover(bundle: String, fd: Int32) throws(BundleError) -> Bool {
        let journal = path(for: bundle)
        try? FileManager.default.removeItem(atPath: journal + ".tmp")  // never renamed: the slot was not touched
        let handle = open(journal, O_RDONLY | O_CLOEXEC)
        guard handle >= 0 else {
            if errno == ENOENT { return false }
            throw BundleError.system("open", journal)
        }
        defer { close(handle) }
        var info = stat()
        guard fstat(handle, &info) == 0 else { throw BundleError.system("read", journal) }
        var applies = false
        if Int(info.st_size) == size {
            let bytes = try BundleFile.pread(handle, offset: 0, count: size, path: journal)
            let frameSize = SkippableFrame.headerSize + SignatureSlot.size
            let frame = Array(bytes.prefix(frameSize))
            if Array(bytes.dropFirst(frameSize)) == (try fingerprint(fd: fd, path: bundle)), (try? SignatureSlot.parse(frame)) != nil {
                let written = frame.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
                guard written == frame.count, fsync(fd) == 0 else { throw BundleError.system("write signatures to", bundle) }
                applies = true
            }
        }
        try remove(bundle: bundle)
        return applies
    }

    /// Whether an interrupted signing left its journal beside `bundle`.
    static func exists(for bundle: String) -> Bool {
        FileManager.default.fileExists(atPath: path(for: bundle))
    }

    private static func syncDirectory(of path: String) throws(BundleError) {
        let directory = parentFolder(of: path)
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw BundleError.system("open", directory) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw BundleError.system("flush", directory) }
    }
}
