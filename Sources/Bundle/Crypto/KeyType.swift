import Foundation
import OCI

/// The signature algorithms a bundle may use.
public enum KeyType: String, Sendable, Codable, CaseIterable {
    /// ECDSA on P-256 with SHA-256; the signature is DER (what `openssl dgst -sha256 -sign` makes).
    case ecdsaP256 = "ecdsa-p256"
    /// Ed25519 (pure); the signature is 64 raw bytes (what `openssl pkeyutl -sign -rawin` makes).
    case ed25519 = "ed25519"

    /// The name recorded in signatures.
    public var signatureAlgorithm: String {
        switch self {
        case .ecdsaP256: "ecdsa-p256-sha256"
        case .ed25519: "ed25519"
        }
    }
}
