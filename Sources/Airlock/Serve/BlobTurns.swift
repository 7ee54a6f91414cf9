import OCI

/// Who may stream a blob now, so that memory stays bounded however many clients pull. A large
/// blob holds one decompressed frame (4 MiB, at most 8) until its client has read it, so sixteen
/// stream at once (about 70 MiB); a small one holds no more than its own size and has turns of its
/// own, so configs and small layers never wait behind large transfers. Manifests take no turn.
/// A client that stops reading loses its turn after `--stall-timeout` (`StalledClientHandler`).
struct BlobTurns: Sendable {
    /// The most a small blob is: a quarter of a frame, far above an image config.
    static let smallBlob: Int64 = 1 << 20
    static let largeAtOnce = 16
    static let smallAtOnce = 32

    private let large = Permits(BlobTurns.largeAtOnce)
    private let small = Permits(BlobTurns.smallAtOnce)

    /// The turns a blob of this size waits for.
    func permits(for descriptor: Descriptor) -> Permits {
        descriptor.size <= Self.smallBlob ? small : large
    }
}
