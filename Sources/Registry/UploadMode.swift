/// How `uploadBlob` sends bytes.
public enum UploadMode: Sendable, Equatable {
    /// POST then one PUT with the whole body (fastest; what distribution and most registries prefer).
    case monolithic
    /// POST, PATCH chunks of this many bytes, then PUT to close (for registries or proxies that cap a request body).
    case chunked(Int)
}
