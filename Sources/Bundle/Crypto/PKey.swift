import COpenSSL
import Foundation
import OCI

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
