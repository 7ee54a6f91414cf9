import Bundle
import OCI

extension BundleVerifier {
    /// A verifying pass reported to `progress` as one phase over every blob's bytes, with a
    /// line per tenth (verify and unpack both run it).
    public func verify(
        input: BundleInput,
        progress: TransferProgress,
        phase: String,
        onManifest: (BundleManifest) throws -> Void = { _ in },
        onBlobData: BlobHandler = { _, _ in },
        onBlobEnd: (Descriptor) throws -> Void = { _ in },
        onIndex: ([UInt8]) throws -> Void = { _ in }
    ) throws -> VerificationReport {
        try verify(
            input: input,
            onManifest: { manifest in
                try onManifest(manifest)
                progress.begin(phase, totalBytes: manifest.blobs.reduce(0) { $0 + $1.size })
            },
            onBlobData: { descriptor, bytes in
                progress.working(on: descriptor.digest.short)
                try onBlobData(descriptor, bytes)
                progress.add(Int64(bytes.count))
            },
            onBlobEnd: onBlobEnd,
            onIndex: onIndex)
    }
}
