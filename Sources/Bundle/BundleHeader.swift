import Foundation
import OCI

/// The front of a bundle: its signature slot and manifest, read without touching any blob.
public struct BundleHeader: Sendable {
    public let slot: SignatureSlot
    public let manifestBytes: [UInt8]
    public let manifest: BundleManifest
    public let fileSize: Int64

    public var manifestDigest: Digest { Digest.of(manifestBytes) }

    /// Reads the slot and the first tar entry (the manifest); only the first frame(s) are decompressed.
    public static func read(path: String) throws -> BundleHeader {
        let fd = try openForReading(path)
        defer { close(fd) }
        var info = stat()
        fstat(fd, &info)
        let stream = try BundleStream(fd: fd, name: path)
        let slotBytes: [UInt8]
        do {
            slotBytes = try stream.readExact(SkippableFrame.headerSize + SignatureSlot.size, what: "the signature slot")
        } catch {
            throw BundleError.verification("\(path) is not an airlock bundle (too short for a signature slot)")
        }
        let slot = try SignatureSlot.parse(slotBytes)
        let tar = try TarReader { try stream.next() }
        guard let first = try tar.next(), first.name == BundleManifest.entryName, first.isRegularFile, first.size <= 64 << 20 else {
            throw BundleError.verification("\(path) does not start with a bundle manifest")
        }
        var bytes = [UInt8](repeating: 0, count: Int(first.size))
        var filled = 0
        while filled < bytes.count {
            let count = try bytes.withUnsafeMutableBytes { try tar.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
            if count == 0 { throw BundleError.verification("\(path) is truncated inside its manifest") }
            filled += count
        }
        return BundleHeader(slot: slot, manifestBytes: bytes, manifest: try BundleManifest.decode(bytes), fileSize: Int64(info.st_size))
    }

    /// Adds a signature by `key` over the manifest, rewriting only the signature slot.
    /// Returns nil when that key has already signed.
    public static func addSignature(path: String, key: PrivateKey) throws -> BundleSignature? {
        let header = try read(path: path)
        if header.slot.signatures.contains(where: { $0.keyID == key.publicKey.id && $0.verify(header.manifestBytes, with: key.publicKey) }) {
            return nil
        }
        let signature = try BundleSignature.sign(header.manifestBytes, with: key)
        var slot = header.slot
        slot.signatures.removeAll { $0.keyID == key.publicKey.id }
        slot.signatures.append(signature)
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BundleError.io("cannot open \(path) for writing: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        try writeSlot(slot, fd: fd, path: path)
        guard fsync(fd) == 0 else { throw BundleError.io("cannot flush \(path): \(String(cString: strerror(errno)))") }
        return signature
    }
}

/// Opens a bundle for reading; "-" is standard input.
public func openForReading(_ path: String) throws(BundleError) -> Int32 {
    if path == "-" { return dup(STDIN_FILENO) }
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
        let reason = errno == ENOENT ? "no such file" : String(cString: strerror(errno))
        throw BundleError.io("cannot open \(path): \(reason)")
    }
    var info = stat()
    if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
        close(fd)
        throw BundleError.io("\(path) is a directory, not a bundle")
    }
    return fd
}
