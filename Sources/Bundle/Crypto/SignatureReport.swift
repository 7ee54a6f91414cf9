import Foundation
import OCI

/// The outcome of checking signatures against required keys.
public struct SignatureReport: Sendable, Codable {
    public struct Signer: Sendable, Codable {
        public let keyID: Digest
        public let algorithm: String
        /// Whether one of the given keys verified it; nil when no given key matches its id.
        public let verified: Bool?
        public let keySource: String?

        public init(keyID: Digest, algorithm: String, verified: Bool?, keySource: String?) {
            self.keyID = keyID
            self.algorithm = algorithm
            self.verified = verified
            self.keySource = keySource
        }

        /// A key that signs here and now (`pack --key`): its signature is valid by construction.
        public init(signing key: PrivateKey) {
            self.init(keyID: key.publicKey.id, algorithm: key.type.signatureAlgorithm, verified: true, keySource: key.publicKey.source)
        }
    }

    public let signers: [Signer]
    /// Required keys that did not sign.
    public let missing: [String]
    /// Signatures by a given key that did not verify.
    public let invalid: [String]

    public var ok: Bool { missing.isEmpty && invalid.isEmpty }

    /// Checks every signature; every key in `required` must have a valid signature.
    public static func check(_ slot: SignatureSlot, manifest: [UInt8], required: [PublicKey]) -> SignatureReport {
        var signers: [Signer] = []
        var invalid: [String] = []
        var valid: Set<Digest> = []
        for signature in slot.signatures {
            if let key = required.first(where: { $0.id == signature.keyID }) {
                let ok = signature.verify(manifest, with: key)
                signers.append(Signer(keyID: signature.keyID, algorithm: signature.algorithm, verified: ok, keySource: key.source))
                if ok { valid.insert(key.id) } else { invalid.append("\(key.source) (key \(key.shortID))") }
            } else {
                signers.append(Signer(keyID: signature.keyID, algorithm: signature.algorithm, verified: nil, keySource: nil))
            }
        }
        let missing = required.filter { !valid.contains($0.id) && !invalid.contains("\($0.source) (key \($0.shortID))") }
            .map { "\($0.source) (key \($0.shortID))" }
        return SignatureReport(signers: signers, missing: missing, invalid: invalid)
    }

    /// Throws unless every required key made a valid signature, with a sentence that tells a
    /// tampered bundle, a wrong key and a missing countersignature apart.
    public func requireTrusted(name: String) throws(BundleError) {
        if let first = invalid.first {
            throw .verification("the signature by \(first) does not match the bundle manifest: \(name) was modified after signing; do not use it")
        }
        guard !missing.isEmpty else { return }
        let wanted = missing.joined(separator: ", ")
        let trusted = signers.filter { $0.verified == true }.compactMap(\.keySource)
        if !trusted.isEmpty {
            throw .verification("\(name) is signed by \(trusted.joined(separator: ", ")) but not by \(wanted): that signer has not countersigned it yet (airlock sign \(name) --key THEIR.key)")
        }
        if signers.isEmpty {
            throw .verification("\(name) has no signatures, so \(wanted) cannot vouch for it; ask for a bundle packed with --key")
        }
        let others = signers.map { String($0.keyID.hex.prefix(16)) }.joined(separator: ", ")
        throw .verification("\(name) is not signed by \(wanted); it is signed by key \(others) (is that the right public key?)")
    }
}
