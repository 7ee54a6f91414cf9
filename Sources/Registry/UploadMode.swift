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
        switch self {
        case .monolithic:
            return Self.below(size)
        case .chunked(let current):
            return current / 2 >= Self.smallestChunk ? .chunked(current / 2) : nil
        }
    }

    /// The largest chunk size of the fallback's series (16 MiB halved) below `bound` bytes, a body
    /// size already refused; nil when it would be under `smallestChunk`.
    static func below(_ bound: Int64) -> UploadMode? {
        var next = fallbackStart
        while Int64(next) >= bound, next > smallestChunk { next /= 2 }
        return Int64(next) < bound ? .chunked(next) : nil
    }

    var chunkSize: Int? {
        if case .chunked(let size) = self { return size }
        return nil
    }
}
