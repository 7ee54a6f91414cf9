import Foundation
import OCI

/// The front of a bundle: its signature slot and manifest, read without touching any blob.
public struct BundleHeader: Sendable {
    public let slot: SignatureSlot
    public let manifestBytes: [UInt8]
    public let manifest: BundleManifest
    public let fileSize: Int64

    public let manifestDigest: Digest

    /// Reads the slot and the first tar entry (the manifest); only the first frame(s) are decompressed.
    public static func read(path: String) throws -> BundleHeader {
        let fd = try openForReading(path)
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw BundleError.system("inspect", path) }
        let front = try BundleFront(stream: try BundleStream(fd: fd, name: path), name: path)
        return BundleHeader(slot: front.slot, manifestBytes: front.manifestBytes, manifest: try BundleManifest.decode(front.manifestBytes),
                            fileSize: Int64(info.st_size), manifestDigest: try Digest.of(front.manifestBytes))
    }

    /// Adds a signature by `key` over the manifest, rewriting only the signature slot.
    /// Returns nil when that key has already signed.
    /// Crash-safe: the new slot goes to a journal first (format-spec §5.5), and an earlier signing
    /// that was interrupted is finished before anything else.
    public static func addSignature(path: String, key: PrivateKey) throws -> BundleSignature? {
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw BundleError.system("open", path + " for writing") }
        defer { close(fd) }
        try SigningJournal.recover(bundle: path, fd: fd)
        let header = try read(path: path)
        if header.slot.signatures.contains(where: { $0.keyID == key.publicKey.id && $0.verify(header.manifestBytes, with: key.publicKey) }) {
            return nil
        }
        let signature = try BundleSignature.sign(header.manifestBytes, with: key)
        var slot = header.slot
        slot.signatures.removeAll { $0.keyID == key.publicKey.id }
        slot.signatures.append(signature)
        try SigningJournal.write(try slot.frame(), fd: fd, bundle: path)
        try writeSlot(slot, fd: fd, path: path)
        guard fsync(fd) == 0 else { throw BundleError.system("flush", path) }
        try SigningJournal.remove(bundle: path)
        return signature
    }
}

/// Opens a bundle for reading; "-" is standard input.
public func openForReading(_ path: String) throws(BundleError) -> Int32 {
    if path == "-" {
        // Waiting silently for a bundle typed on a keyboard helps no one.
        if isatty(STDIN_FILENO) == 1 {
            throw BundleError.usage("- reads the bundle from standard input, which is a terminal here; pipe it in (< BUNDLE) or give the bundle's path")
        }
        let fd = dup(STDIN_FILENO)
        guard fd >= 0 else { throw BundleError.system("read", "standard input") }
        return fd
    }
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw BundleError.system("open", path) }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
        let error = BundleError.system("inspect", path)
        close(fd)
        throw error
    }
    if (info.st_mode & S_IFMT) == S_IFDIR {
        close(fd)
        throw BundleError.io("\(path) is a directory, not a bundle")
    }
    return fd
}
