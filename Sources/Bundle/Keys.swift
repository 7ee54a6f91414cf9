import COpenSSL
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

/// An OpenSSL key (private or public-only).
final class PKey: @unchecked Sendable {
    // EVP_PKEY is immutable after creation and OpenSSL 3 allows concurrent use for sign/verify.
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { EVP_PKEY_free(pointer) }

    var type: KeyType? {
        switch EVP_PKEY_get_base_id(pointer) {
        case EVP_PKEY_ED25519: return .ed25519
        case EVP_PKEY_EC:
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            guard EVP_PKEY_get_group_name(pointer, &name, name.count, &length) == 1 else { return nil }
            let group = String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return group == "prime256v1" || group == "P-256" ? .ecdsaP256 : nil
        default: return nil
        }
    }

    /// DER SubjectPublicKeyInfo.
    func publicKeyDER() throws(BundleError) -> [UInt8] {
        let length = i2d_PUBKEY(pointer, nil)
        guard length > 0 else { throw OpenSSLError.library("encoding a public key") }
        var bytes = [UInt8](repeating: 0, count: Int(length))
        let written: Int32 = bytes.withUnsafeMutableBufferPointer { buffer in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            return i2d_PUBKEY(pointer, &cursor)
        }
        guard written == length else { throw OpenSSLError.library("encoding a public key") }
        return bytes
    }
}

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

/// OpenSSL's passphrase callback: copies the NUL-terminated passphrase in `userData`, or fails
/// when there is none. Without it OpenSSL would ask on the terminal ("Enter PEM pass phrase:").
private func pemPassphrase(_ buffer: UnsafeMutablePointer<CChar>?, _ size: Int32, _ rwflag: Int32, _ userData: UnsafeMutableRawPointer?) -> Int32 {
    guard let buffer, let userData, size > 0 else { return 0 }
    let phrase = userData.assumingMemoryBound(to: CChar.self)
    let length = strlen(phrase)
    guard length > 0, length < Int(size) else { return 0 }
    memcpy(buffer, phrase, length)
    return Int32(length)
}

/// PKCS#8 `ENCRYPTED PRIVATE KEY`, or a traditional PEM key with `Proc-Type: 4,ENCRYPTED`.
private func isEncryptedPrivateKey(_ bytes: [UInt8]) -> Bool {
    let text = String(decoding: bytes, as: UTF8.self)
    return text.contains("ENCRYPTED PRIVATE KEY") || text.contains("Proc-Type: 4,ENCRYPTED")
}

private func readKeyFile(_ path: String) throws(BundleError) -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw BundleError.key(FileManager.default.fileExists(atPath: path) ? "cannot read key \(path) (permissions?)" : "key file \(path) does not exist")
    }
    guard data.count < 64 * 1024 else { throw BundleError.key("\(path) is too large to be a key") }
    return Array(data)
}

/// Creates `path` with `mode`, failing if it exists (O_EXCL), and writes `bytes`.
func writeExclusive(_ path: String, _ bytes: [UInt8], mode: mode_t) throws(BundleError) {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)
    guard fd >= 0 else {
        throw BundleError.system("create", path)
    }
    defer { close(fd) }
    let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    guard written == bytes.count else {
        throw BundleError.system("write", path)
    }
    guard fchmod(fd, mode) == 0 else {
        throw BundleError.system("set the mode of", path)
    }
}
