import OCI

/// What a successful verification established.
public struct VerificationReport: Sendable, Codable {
    public let manifest: BundleManifest
    public let manifestDigest: Digest
    public let signatures: SignatureReport
    /// Every rule of the policy, when one was given (all met, or the verification failed).
    public let policy: PolicyReport?
    public let blobsVerified: Int
    public let bytesVerified: Int64
    /// Blobs the bundle relies on but does not hold (delta bundles).
    public let externalBlobs: [Descriptor]
}
