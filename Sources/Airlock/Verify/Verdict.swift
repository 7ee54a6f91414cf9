import Bundle
import Foundation
import OCI

/// A countersigner's recorded verdict as `inspect` shows it (format-spec §14.4).
public struct Verdict: Sendable, Encodable {
    public let keyID: String
    public let policy: String
    public let policyDigest: String
    public let timeVerified: String
    public let result: String
    /// True when a given key verified the envelope; nil when no given key is its signer.
    public let verified: Bool?

    /// The verdicts in `slot` about `manifest`; an envelope that does not decode is left out.
    static func all(in slot: SignatureSlot, manifest: Digest, keys: [PublicKey]) -> [Verdict] {
        (slot.attestations ?? []).compactMap { attestation in
            guard let signer = attestation.signer, let body = Data(base64Encoded: attestation.payload),
                  let statement = try? JSONDecoder().decode(VerificationStatement.self, from: body) else { return nil }
            let key = keys.first { $0.id.description == signer }
            let verified = key.map { attestation.statement(verifiedBy: $0, manifest: manifest) != nil }
            return Verdict(keyID: signer, policy: statement.predicate.policy.uri,
                           policyDigest: "sha256:" + (statement.predicate.policy.digest["sha256"] ?? ""),
                           timeVerified: statement.predicate.timeVerified, result: statement.predicate.verificationResult, verified: verified)
        }
    }
}
