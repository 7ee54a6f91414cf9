/// How `uploadBlob` sends bytes.
public enum UploadMode: Sendable, Equatable {
    /// POST then one PUT with the whole body (fastest; what distribution and most registries prefer).
    case monolithic
    /// POST, PATCH chunks of this many bytes, then PUT to close (for registries or proxies that cap a request body).
    case chunked(Int)

    /// The first chunk size after a body was refused (413, or the connection closed under it).
    static let fallbackStart = 16 << 20
    /// Below this a registry is not worth chunking for: the refusal stands.
    public static let smallestChunk = 1 << 20

    /// The next mode to try after `self` was refused for a blob of `size` bytes: chunks smaller than
    /// the body that was refused, halved down to `smallestChunk`; nil when there is none smaller.
    func smaller(forBlobOf size: Int64) -> UploadMode? {
        var next: Int
        switch self {
        case .monolithic:
            next = Self.fallbackStart
            while Int64(next) >= size, next > Self.smallestChunk { next /= 2 }
            guard Int64(next) < size else { return nil }
        case .chunked(let current):
            next = current / 2
        }
        return next >= Self.smallestChunk ? .chunked(next) : nil
    }
}
