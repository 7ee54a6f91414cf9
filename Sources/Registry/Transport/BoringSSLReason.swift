import NIOSSL

/// BoringSSL's reason codes for the TLS failures a user can act on. NIOSSL hands over its error
/// stack as values that expose only their description, `Error: <code> <text>`, where `<code>` is
/// ERR_PACK(library, reason); the numeric code is read from there, never the text.
enum BoringSSLReason {
    static let librarySSL: UInt32 = 16
    /// SSL_R_CERTIFICATE_VERIFY_FAILED
    static let certificateVerifyFailed: UInt32 = 125
    /// SSL_R_WRONG_VERSION_NUMBER: the first bytes back were not a TLS record (a plain HTTP answer).
    static let wrongVersionNumber: UInt32 = 247

    static func tlsReason(_ error: BoringSSLError) -> String {
        let stack: NIOBoringSSLErrorStack
        switch error {
        case .sslError(let entries), .unknownError(let entries): stack = entries
        default: return "handshake failed"
        }
        let codes = stack.compactMap(code)
        if codes.contains(where: { $0 == (librarySSL, certificateVerifyFailed) }) { return RegistryError.TLSReason.unknownAuthority }
        if codes.contains(where: { $0 == (librarySSL, wrongVersionNumber) }) { return RegistryError.TLSReason.notTLS }
        return "handshake failed"
    }

    /// (library, reason) of one stack entry, or nil for NIOSSL's own synthetic entries.
    static func code(_ entry: BoringSSLInternalError) -> (UInt32, UInt32)? {
        let fields = entry.description.split(separator: " ", maxSplits: 2)
        guard fields.count >= 2, fields[0] == "Error:", let packed = UInt32(fields[1]) else { return nil }
        return ((packed >> 24) & 0xff, packed & 0xfff)
    }
}
