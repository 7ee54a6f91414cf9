import Foundation
import OCI

/// Whom a reader trusts: keys that must every one have signed (`--key`), a policy
/// (`--policy`), or both. The one check of a bundle's signed front, made by `BundleVerifier` and
/// `TrustedBundle` before any content is read, so every command reaches the same verdict.
public struct Trust: Sendable {
    public let keys: [PublicKey]
    public let policy: TrustPolicy?
    /// The time max-age is measured from.
    public let now: Date
    /// Signatures (and verdicts) about to be added (`sign --policy`): counted as if the slot held them.
    public let pending: [BundleSignature]
    public let pendingAttestations: [PolicyAttestation]

    public init(keys: [PublicKey], policy: TrustPolicy? = nil, now: Date = Date(), pending: [BundleSignature] = [],
                pendingAttestations: [PolicyAttestation] = []) {
        self.keys = keys
        self.policy = policy
        self.now = now
        self.pending = pending
        self.pendingAttestations = pendingAttestations
    }

    /// The trust a delta's base is held to: the same signers, no age or name rule.
    public var forBase: Trust { Trust(keys: keys, policy: policy?.forBase, now: now) }

    /// The trust a recorded bundle is held to again: every rule but max-age.
    public var forRecord: Trust { Trust(keys: keys, policy: policy?.forRecord, now: now) }

    /// Every key this trust can check a signature with.
    public var knownKeys: [PublicKey] {
        var seen: Set<Digest> = []
        return (keys + (policy?.roleKeys ?? []) + (policy?.revoked ?? [])).filter { seen.insert($0.id).inserted }
    }

    /// Checks the signed front: a signature by a known key that does not verify means the bundle
    /// was changed (the one sentence it has always had); every `--key` must have signed; then,
    /// once the manifest is decoded, every rule of the policy. Returns the decoded manifest.
    public func check(_ stored: SignatureSlot, manifestBytes: [UInt8], name: String) throws -> (SignatureReport, PolicyReport?, BundleManifest) {
        var slot = stored
        // A pending signature replaces the key's old one, as `addSignature` will.
        slot.signatures.removeAll { stored in pending.contains { $0.keyID == stored.keyID } }
        slot.signatures += pending
        if !pendingAttestations.isEmpty {
            let signers = Set(pendingAttestations.compactMap(\.signer))
            slot.attestations = (slot.attestations ?? []).filter { !signers.contains($0.signer ?? "") } + pendingAttestations
        }
        let all = SignatureReport.check(slot, manifest: manifestBytes, required: knownKeys)
        if !all.invalid.isEmpty { try all.requireTrusted(name: name) }
        let signatures = SignatureReport.check(slot, manifest: manifestBytes, required: keys)
        if policy == nil || !keys.isEmpty { try signatures.requireTrusted(name: name) }
        let manifest = try BundleManifest.decode(manifestBytes)
        guard let policy else { return (signatures, nil, manifest) }
        let report = policy.evaluate(slot: slot, manifestBytes: manifestBytes, manifest: manifest, now: now)
        guard report.passed else { throw PolicyViolation(bundle: name, report: report) }
        return (all, report, manifest)
    }
}
