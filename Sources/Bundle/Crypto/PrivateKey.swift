import COpenSSL
import Foundation
import OCI

/// A private signing key.
public struct PrivateKey: Sendable {
    let key: PKey
    public let publicKey: PublicKey

    init(key: PKey, source: String) throws(BundleError) {
        self.key = key
        self.publicKey = try PublicKey(key: key, source: source)
    }

    public var type: KeyType { publicKey.type }

    /// Generates a new key.
    public static func generate(_ type: KeyType) throws(BundleError) -> PrivateKey {
        let algorithm = type == .ecdsaP256 ? "EC" : "ED25519"
        guard let context = EVP_PKEY_CTX_new_from_name(nil, algorithm, nil) else { throw OpenSSLError.library("creating a key generator") }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_keygen_init(context) == 1 else { throw OpenSSLError.library("initialising key generation") }
        if type == .ecdsaP256 {
            guard EVP_PKEY_CTX_set_group_name(context, "P-256") == 1 else { throw OpenSSLError.library("choosing curve P-256") }
        }
        var pointer: OpaquePointer?
        guard EVP_PKEY_generate(context, &pointer) == 1, let pointer else { throw OpenSSLError.library("generating a key") }
        return try PrivateKey(key: PKey(pointer), source: "new \(type.rawValue) key")
    }

    /// Loads a PEM private key (PKCS#8, encrypted or not; traditional EC keys too).
    public static func load(path: String, passphrase: String?) throws(BundleError) -> PrivateKey {
        let bytes = try readKeyFile(path)
        let bio = try MemoryBIO(bytes)
        let text = String(decoding: bytes, as: UTF8.self)
        let encrypted = isEncryptedPrivateKey(bytes)
        if encrypted, passphrase == nil {
            throw BundleError.key("\(path) is encrypted: give its passphrase with --key-passphrase-file or AIRLOCK_KEY_PASSPHRASE")
        }
        // The callback hands OpenSSL `u` as the passphrase, or fails: OpenSSL never prompts.
        let pointer: OpaquePointer? = (passphrase ?? "").withCString { phrase in
            PEM_read_bio_PrivateKey(bio.bio, nil, pemPassphrase, UnsafeMutableRawPointer(mutating: phrase))
        }
        guard let pointer else {
            let reason = OpenSSLError.message()
            if encrypted {
                throw BundleError.key("cannot decrypt \(path): wrong passphrase")
            }
            if text.contains("PUBLIC KEY") {
                throw BundleError.key("\(path) is a public key; signing needs the private key (.key)")
            }
            throw BundleError.key("\(path) is not a PEM private key (\(reason))")
        }
        return try PrivateKey(key: PKey(pointer), source: path)
    }

    /// Signs `message`: ECDSA P-256 over SHA-256 (DER signature) or pure Ed25519.
    public func sign(_ message: [UInt8]) throws(BundleError) -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw OpenSSLError.library("creating a signing context") }
        defer { EVP_MD_CTX_free(context) }
        let md = type == .ecdsaP256 ? EVP_sha256() : nil
        guard EVP_DigestSignInit(context, nil, md, nil, key.pointer) == 1 else { throw OpenSSLError.library("initialising signing") }
        var length = 0
        let sized = message.withUnsafeBufferPointer { EVP_DigestSign(context, nil, &length, $0.baseAddress, $0.count) }
        guard sized == 1 else { throw OpenSSLError.library("sizing a signature") }
        var signature = [UInt8](repeating: 0, count: length)
        let signed = message.withUnsafeBufferPointer { msg in
            signature.withUnsafeMutableBufferPointer { EVP_DigestSign(context, $0.baseAddress, &length, msg.baseAddress, msg.count) }
        }
        guard signed == 1 else { throw OpenSSLError.library("signing") }
        return Array(signature.prefix(length))
    }

    /// PKCS#8 PEM, encrypted with AES-256-CBC when a passphrase is given.
    public func pem(passphrase: String?) throws(BundleError) -> [UInt8] {
        let bio = try MemoryBIO()
        let result: Int32
        if let passphrase {
            result = passphrase.withCString { phrase in
                PEM_write_bio_PKCS8PrivateKey(bio.bio, key.pointer, EVP_aes_256_cbc(), nil, 0, nil, UnsafeMutableRawPointer(mutating: phrase))
            }
        } else {
            result = PEM_write_bio_PKCS8PrivateKey(bio.bio, key.pointer, nil, nil, 0, nil, nil)
        }
        guard result == 1 else { throw OpenSSLError.library("writing a private key") }
        return bio.contents
    }

    /// Writes `NAME.key` (0600) and `NAME.pub` (0644); refuses to overwrite either.
    public func write(to base: String, passphrase: String?) throws(BundleError) -> (privatePath: String, publicPath: String) {
        let privatePath = base + ".key", publicPath = base + ".pub"
        for path in [privatePath, publicPath] where FileManager.default.fileExists(atPath: path) {
            throw BundleError.usage("\(path) already exists; airlock never overwrites a key (remove it or choose another --out)")
        }
        try writeExclusive(privatePath, try pem(passphrase: passphrase), mode: 0o600)
        try writeExclusive(publicPath, try publicKey.pem(), mode: 0o644)
        return (privatePath, publicPath)
    }
}
