import COpenSSL

/// Incremental SHA-256/SHA-512 through OpenSSL's EVP interface (uses SHA-NI where the CPU has it).
/// Call `finalize` once. Not thread-safe: one hasher belongs to one stream.
/// The one place below the Bundle module that calls OpenSSL: every layer hashes while it streams.
public final class DigestHasher {
    public let algorithm: Digest.Algorithm
    private let context: OpaquePointer

    public init(_ algorithm: Digest.Algorithm = .sha256) {
        self.algorithm = algorithm
        // EVP_MD_CTX_new only fails on allocation failure, which Swift treats as fatal everywhere else too.
        guard let context = EVP_MD_CTX_new() else { preconditionFailure("out of memory creating a hash context") }
        self.context = context
        let md = switch algorithm {
        case .sha256: EVP_sha256()
        case .sha512: EVP_sha512()
        }
        EVP_DigestInit_ex(context, md, nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    public func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    public func finalize() -> Digest {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &out, &length)
        let hex = out.prefix(Int(length)).map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
        // The hex we built is always well-formed for the algorithm.
        return Digest(trusted: algorithm, hex: hex)
    }
}

extension Digest {
    /// For hashes this module computed itself: skips validation.
    init(trusted algorithm: Algorithm, hex: String) {
        self.algorithm = algorithm
        self.hex = hex
    }
}
