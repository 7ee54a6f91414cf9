import Bundle
import Foundation
import OCI

/// `airlock sign`: adds a countersignature in place, after proving the bundle. By default the
/// whole bundle is verified first (structure and every digest, exit 3 on any damage, the file
/// unchanged); with a policy, it must meet the policy counting the signature about to be added,
/// so a security team's signature vouches for exactly what its policy checked.
public struct Countersigner {
    public let key: PrivateKey
    public let policy: TrustPolicy?
    /// `--no-verify`: sign whatever manifest the bundle holds (for a bundle verified just before).
    public let verifyFirst: Bool
    public let progress: TransferProgress

    /// With a policy, the signature is recorded with a verdict (`PolicyAttestation`) naming the
    /// policy's digest, made before the check and written only if the bundle meets it.
    public init(key: PrivateKey, policy: TrustPolicy? = nil, verifyFirst: Bool = true, progress: TransferProgress = TransferProgress()) {
        self.key = key
        self.policy = policy
        self.verifyFirst = verifyFirst
        self.progress = progress
    }

    /// The signature added, or nil when this key had already signed.
    public func sign(_ bundle: String) throws -> BundleSignature? {
        if bundle == "-" { throw AirlockError.usage("sign rewrites the bundle in place: give its path, not -") }
        guard verifyFirst else { return try BundleHeader.addSignature(path: bundle, key: key) }
        try BundleHeader.finishInterruptedSigning(path: bundle)
        let header = try BundleHeader.read(path: bundle)
        let pending = try BundleSignature.sign(header.manifestBytes, with: key)
        let verdict = try policy.map { policy in
            try PolicyAttestation.sign(VerificationStatement(manifest: header.manifestDigest, name: header.manifest.name, version: header.manifest.version,
                                                             policy: policy, key: key.publicKey, tool: AirlockVersion.current, time: Date()), with: key)
        }
        let trust = Trust(keys: [], policy: policy, pending: [pending], pendingAttestations: verdict.map { [$0] } ?? [])
        _ = try BundleVerifier(trust: trust).verify(input: try BundleInput.open(bundle), progress: progress, phase: "verify")
        return try BundleHeader.addSignature(path: bundle, key: key, attestation: verdict)
    }
}
