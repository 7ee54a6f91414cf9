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

/// The signature slot: a skippable frame of fixed size at offset 0 of every bundle, holding the
/// signatures as JSON padded with NUL bytes. Fixed size so `sign` rewrites only these bytes.
public struct SignatureSlot: Codable, Sendable, Equatable {
    public static let size = 65536
    public static let magic = "airlock-signatures"

    public let slot: String
    public var signatures: [BundleSignature]

    public init(signatures: [BundleSignature] = []) {
        self.slot = Self.magic
        self.signatures = signatures
    }

    /// The whole frame: header + JSON + padding.
    func frame() throws(BundleError) -> [UInt8] {
        guard let json = try? CanonicalJSON.compact(self) else { throw BundleError.library("cannot encode signatures") }
        guard json.count <= Self.size else {
            throw BundleError.usage("the signature slot is full (\(signatures.count) signatures); the bundle cannot take another")
        }
        return SkippableFrame.header(magic: SkippableFrame.signatureMagic, size: Self.size)
            + Array(json) + [UInt8](repeating: 0, count: Self.size - json.count)
    }

    /// Whether `prefix` (a file's first bytes) starts the way every bundle does: the slot's frame header.
    public static func startsBundle(_ prefix: [UInt8]) -> Bool {
        prefix.count >= SkippableFrame.headerSize
            && SkippableFrame.readUInt32(prefix) == SkippableFrame.signatureMagic
            && SkippableFrame.readUInt32(prefix.dropFirst(4)) == UInt32(size)
    }

    static func parse(_ frame: [UInt8]) throws(BundleError) -> SignatureSlot {
        guard frame.count == SkippableFrame.headerSize + size,
              SkippableFrame.readUInt32(frame) == SkippableFrame.signatureMagic,
              SkippableFrame.readUInt32(frame.dropFirst(4)) == UInt32(size)
        else {
            throw BundleError.verification("the file does not start with an airlock signature slot (not a bundle, or damaged)")
        }
        let payload = frame.dropFirst(SkippableFrame.headerSize)
        let json = payload.prefix { $0 != 0 }
        guard payload.dropFirst(json.count).allSatisfy({ $0 == 0 }) else {
            throw BundleError.verification("the signature slot has data after its padding started")
        }
        guard let slot = try? JSONDecoder().decode(SignatureSlot.self, from: Data(json)), slot.slot == magic else {
            throw BundleError.verification("the signature slot is damaged")
        }
        return slot
    }
}

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

extension SignatureSlot {
    /// The encoded frame (exposed for tests and tools that inspect the slot).
    public func frameForTesting() throws(BundleError) -> [UInt8] { try frame() }
}
