import COpenSSL

/// Incremental SHA-256/SHA-512 through OpenSSL's EVP interface (uses SHA-NI where the CPU has it).
/// Call `finalize` once. Not thread-safe: one hasher belongs to one stream.
/// The one place below the Bundle module that calls OpenSSL: every layer hashes while it streams.
///
/// Every EVP return code is checked. `update` sits in hot loops that cannot all throw, so a
/// failure there is remembered and `finalize` throws it: no digest comes from a broken hash.
public final class DigestHasher {
    public let algorithm: Digest.Algorithm
    private let context: OpaquePointer?
    /// The first OpenSSL call that failed, if any.
    private var failure: String?

    public init(_ algorithm: Digest.Algorithm = .sha256) {
        self.algorithm = algorithm
        let md = switch algorithm {
        case .sha256: EVP_sha256()
        case .sha512: EVP_sha512()
        }
        context = EVP_MD_CTX_new()
        if let context {
            if EVP_DigestInit_ex(context, md, nil) != 1 { failure = "EVP_DigestInit_ex" }
        } else {
            failure = "EVP_MD_CTX_new"
        }
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil, let context, let base = bytes.baseAddress, bytes.count > 0 else { return }
        if EVP_DigestUpdate(context, base, bytes.count) != 1 { failure = "EVP_DigestUpdate" }
    }

    public func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The digest of everything passed to `update`; throws when any OpenSSL call failed.
    public func finalize() throws(OCIError) -> Digest {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        if failure == nil, let context, EVP_DigestFinal_ex(context, &out, &length) != 1 { failure = "EVP_DigestFinal_ex" }
        if let failure {
            ERR_clear_error()
            throw OCIError.hashing("\(failure) failed while computing a \(algorithm.rawValue) digest")
        }
        let hex = out.prefix(Int(length)).map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
        // The hex we built is always well-formed for the algorithm.
        return Digest(trusted: algorithm, hex: hex)
    }
}
