import Foundation
import OCI

/// One signature over the exact bytes of the bundle manifest.
public struct BundleSignature: Codable, Sendable, Hashable {
    /// `ecdsa-p256-sha256` or `ed25519`.
    public let algorithm: String
    /// SHA-256 of the signer's DER SubjectPublicKeyInfo.
    public let keyID: Digest
    /// Base64 of the signature: DER for ECDSA, 64 raw bytes for Ed25519.
    public let signature: String
    /// SHA-256 of the manifest bytes signed (lets a reader name a stale signature).
    public let manifestDigest: Digest

    public init(algorithm: String, keyID: Digest, signature: String, manifestDigest: Digest) {
        self.algorithm = algorithm
        self.keyID = keyID
        self.signature = signature
        self.manifestDigest = manifestDigest
    }

    public static func sign(_ manifest: [UInt8], with key: PrivateKey) throws(BundleError) -> BundleSignature {
        let bytes = try key.sign(manifest)
        return BundleSignature(
            algorithm: key.type.signatureAlgorithm,
            keyID: key.publicKey.id,
            signature: Data(bytes).base64EncodedString(),
            manifestDigest: try Digest.checked(manifest)
        )
    }

    public func verify(_ manifest: [UInt8], with key: PublicKey) -> Bool {
        guard key.id == keyID, algorithm == key.type.signatureAlgorithm,
              let bytes = Data(base64Encoded: signature) else { return false }
        return key.verify(Array(bytes), of: manifest)
    }
}
