/// Blobs and their bytes, as every `--json` document counts them.
public struct BlobTally: Sendable, Encodable, Equatable {
    public let blobCount: Int
    public let uniqueBytes: Int64

    public init(blobCount: Int, uniqueBytes: Int64) {
        self.blobCount = blobCount
        self.uniqueBytes = uniqueBytes
    }
}
