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
        try read(input: try BundleInput.open(path))
    }

    /// The same from an open bundle (one file or the parts of a split one).
    public static func read(input: BundleInput) throws -> BundleHeader {
        let front = try BundleFront(stream: try BundleStream(input.cursor()))
        return BundleHeader(slot: front.slot, manifestBytes: front.manifestBytes, manifest: try BundleManifest.decode(front.manifestBytes),
                            fileSize: input.size ?? 0, manifestDigest: try Digest.of(front.manifestBytes))
    }

    /// Finishes a signing that was interrupted (its journal, format-spec §5.5), so the bundle can
    /// be read again; nothing happens when there is none.
    public static func finishInterruptedSigning(path: String) throws {
        if path == "-" { throw BundleError.usage("sign rewrites the bundle in place: give its path, not -") }
        let input = try BundleInput.open(path)
        let fd = open(input.firstPath, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw BundleError.system("open", input.firstPath + " for writing") }
        defer { close(fd) }
        try SigningJournal.recover(bundle: input.bundlePath, fd: fd)
    }

    /// Adds a signature by `key` over the manifest, rewriting only the signature slot.
    /// Returns nil when that key has already signed.
    /// Crash-safe: the new slot goes to a journal first (format-spec §5.5), and an earlier signing
    /// that was interrupted is finished before anything else.
    /// A split bundle's slot is in its first part (`B.001`); its journal is `B.airlock-sign`.
    /// With `attestation`, that verdict is recorded beside the signature (replacing the key's old one).
    public static func addSignature(path: String, key: PrivateKey, attestation: PolicyAttestation? = nil) throws -> BundleSignature? {
        if path == "-" { throw BundleError.usage("sign rewrites the bundle in place: give its path, not -") }
        let input = try BundleInput.open(path)
        let first = input.firstPath
        let fd = open(first, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw BundleError.system("open", first + " for writing") }
        defer { close(fd) }
        try SigningJournal.recover(bundle: input.bundlePath, fd: fd)
        let header = try read(input: input)
        if attestation == nil, header.slot.signatures.contains(where: { $0.keyID == key.publicKey.id && $0.verify(header.manifestBytes, with: key.publicKey) }) {
            return nil
        }
        let signature = try BundleSignature.sign(header.manifestBytes, with: key)
        var slot = header.slot
        slot.signatures.removeAll { $0.keyID == key.publicKey.id }
        slot.signatures.append(signature)
        if let attestation {
            let others = (slot.attestations ?? []).filter { $0.signer != key.publicKey.id.description }
            slot.attestations = others + [attestation]
        }
        try SigningJournal.write(try slot.frame(), fd: fd, bundle: input.bundlePath)
        try writeSlot(slot, fd: fd, path: first)
        guard fsync(fd) == 0 else { throw BundleError.system("flush", first) }
        try SigningJournal.remove(bundle: input.bundlePath)
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
