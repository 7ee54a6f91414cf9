import COpenSSL
import Foundation
import OCI

/// A public key that checks signatures; its id is the SHA-256 of its DER SubjectPublicKeyInfo.
public struct PublicKey: Sendable, Hashable, CustomStringConvertible {
    let key: PKey
    public let type: KeyType
    public let id: Digest
    /// Where it was loaded from, for messages.
    public let source: String

    public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool { lhs.id == rhs.id }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }

    /// The short key id users see: the first 16 hex characters.
    public var shortID: String { String(id.hex.prefix(16)) }
    public var description: String { "\(type.rawValue) key \(shortID) (\(source))" }

    init(key: PKey, source: String) throws(BundleError) {
        guard let type = key.type else {
            throw BundleError.key("\(source) is neither an ECDSA P-256 nor an Ed25519 key")
        }
        self.key = key
        self.type = type
        self.id = try Digest.checked(try key.publicKeyDER())
        self.source = source
    }

    /// Loads a PEM public key (SPKI). A private key file is accepted too; its public half is used.
    public static func load(path: String) throws(BundleError) -> PublicKey {
        let bytes = try readKeyFile(path)
        let bio = try MemoryBIO(bytes)
        if let pointer = PEM_read_bio_PUBKEY(bio.bio, nil, pemPassphrase, nil) {
            return try PublicKey(key: PKey(pointer), source: path)
        }
        ERR_clear_error()
        if isEncryptedPrivateKey(bytes) {
            throw BundleError.key("\(path) is an encrypted private key; give the public key here (the .pub file beside it)")
        }
        if let text = String(bytes: bytes, encoding: .utf8), text.contains("PRIVATE KEY") {
            return try PrivateKey.load(path: path, passphrase: nil).publicKey
        }
        throw BundleError.key("\(path) is not a PEM public key (expected '-----BEGIN PUBLIC KEY-----')")
    }

    /// Whether `signature` is a valid signature of `message` by this key.
    public func verify(_ signature: [UInt8], of message: [UInt8]) -> Bool {
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        let md = type == .ecdsaP256 ? EVP_sha256() : nil
        guard EVP_DigestVerifyInit(context, nil, md, nil, key.pointer) == 1 else {
            ERR_clear_error()
            return false
        }
        let result = signature.withUnsafeBufferPointer { sig in
            message.withUnsafeBufferPointer { msg in
                EVP_DigestVerify(context, sig.baseAddress, sig.count, msg.baseAddress, msg.count)
            }
        }
        ERR_clear_error()
        return result == 1
    }

    /// PEM SubjectPublicKeyInfo.
    public func pem() throws(BundleError) -> [UInt8] {
        let bio = try MemoryBIO()
        guard PEM_write_bio_PUBKEY(bio.bio, key.pointer) == 1 else { throw OpenSSLError.library("writing a public key") }
        return bio.contents
    }
}
