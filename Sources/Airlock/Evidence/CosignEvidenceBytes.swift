import Bundle
import NIOConcurrencyHelpers
import OCI

/// Keeps, from a verifying pass over a bundle, the bytes a cosign check reads: manifests and
/// signature payloads (small), so `verify -` checks cosign signatures in the same single pass.
public final class CosignEvidenceBytes {
    private var bytes: [Digest: [UInt8]] = [:]

    public init() {}

    public func take(_ descriptor: Descriptor, _ chunk: UnsafeRawBufferPointer) {
        guard MediaType.isManifest(descriptor.mediaType)
            || (descriptor.mediaType == EvidenceKind.simpleSigningLayer && descriptor.size <= CosignVerification.maximumPayload)
        else { return }
        bytes[descriptor.digest, default: []] += chunk
    }

    public func read(_ descriptor: Descriptor) throws -> [UInt8] {
        guard let held = bytes[descriptor.digest] else {
            throw AirlockError.verification("cosign signature data \(descriptor.digest) is not in the bundle")
        }
        return held
    }
}
