import Foundation
import OCI

/// A countersigner's recorded verdict (format-spec §14.4): a DSSE envelope around an in-toto
/// Statement v1 whose predicate is SLSA's `verification_summary/v1`, naming the bundle manifest
/// (subject), the policy by digest, the time and the result. `sign --policy` adds one beside its
/// plain signature; old readers ignore it; stock `openssl` checks it (the format-spec shows how).
public struct PolicyAttestation: Codable, Sendable, Equatable {
    public static let payloadType = "application/vnd.in-toto+json"

    public struct Signature: Codable, Sendable, Equatable {
        /// The signer's key id (`sha256:` of its DER SubjectPublicKeyInfo), as `BundleSignature.keyID`.
        public let keyid: String
        /// Standard base64 of the signature over the envelope's PAE: DER for ECDSA, raw for Ed25519.
        public let sig: String
    }

    public let payloadType: String
    /// Standard base64 of the statement's canonical JSON.
    public let payload: String
    public let signatures: [Signature]

    /// DSSE's pre-authentication encoding: `DSSEv1 LEN(type) type LEN(body) body`.
    public static func pae(type: String, body: [UInt8]) -> [UInt8] {
        Array("DSSEv1 \(type.utf8.count) \(type) \(body.count) ".utf8) + body
    }

    /// Signs `statement` with `key`.
    public static func sign(_ statement: VerificationStatement, with key: PrivateKey) throws -> PolicyAttestation {
        let body = try CanonicalJSON.compact(statement)
        let signature = try key.sign(pae(type: payloadType, body: body))
        return PolicyAttestation(payloadType: payloadType, payload: Data(body).base64EncodedString(),
                                 signatures: [Signature(keyid: key.publicKey.id.description, sig: Data(signature).base64EncodedString())])
    }

    /// The statement, when `key` signed this envelope and it is about the manifest `manifest`.
    public func statement(verifiedBy key: PublicKey, manifest: Digest) -> VerificationStatement? {
        guard payloadType == Self.payloadType, let body = Data(base64Encoded: payload),
              let signature = signatures.first(where: { $0.keyid == key.id.description }),
              let bytes = Data(base64Encoded: signature.sig),
              key.verify(Array(bytes), of: Self.pae(type: payloadType, body: Array(body))),
              let statement = try? JSONDecoder().decode(VerificationStatement.self, from: body),
              statement.subject.contains(where: { $0.digest["sha256"] == manifest.hex })
        else { return nil }
        return statement
    }

    /// The key id of its (first) signer.
    public var signer: String? { signatures.first?.keyid }
}
