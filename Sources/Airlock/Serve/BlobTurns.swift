import OCI

/// Who may stream a blob now, so that memory stays bounded however many clients pull. A large
/// blob holds one decompressed frame (4 MiB, at most 8) until its client has read it, so twelve
/// stream at once (about 64 MiB); a small one holds no more than its own size and has turns of its
/// own, so configs and small layers never wait behind large transfers. Manifests take no turn.
/// A client that stops reading loses its turn after `--stall-timeout` (`StalledClientHandler`).
/// Measured: each large stream in flight adds about 5.3 MiB to serve's RSS (eight at once: 43 to
/// 85 MiB, back to 50 MiB after), so twelve keep serve within 128 MiB.
struct BlobTurns: Sendable {
    /// The most a small blob is: a quarter of a frame, far above an image config.
    static let smallBlob: Int64 = 1 << 20
    static let largeAtOnce = 12
    static let smallAtOnce = 16

    private let large = Permits(BlobTurns.largeAtOnce)
    private let small = Permits(BlobTurns.smallAtOnce)

    /// The turns a blob of this size waits for.
    func permits(for descriptor: Descriptor) -> Permits {
        descriptor.size <= Self.smallBlob ? small : large
    }
}
