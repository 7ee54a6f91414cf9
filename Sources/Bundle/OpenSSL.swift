import COpenSSL
import OCI

/// The one place OpenSSL failures become errors, with the library's own message attached.
enum OpenSSLError {
    /// The queued OpenSSL error text (cleared), e.g. "error:1C800064:Provider routines::bad decrypt".
    static func message() -> String {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return messages.last ?? "unknown OpenSSL error"
    }

    static func library(_ what: String) -> BundleError {
        .library("\(what) failed in OpenSSL: \(message())")
    }
}

/// A memory BIO for PEM in and out.
final class MemoryBIO {
    let bio: OpaquePointer

    init() throws(BundleError) {
        guard let bio = BIO_new(BIO_s_mem()) else { throw OpenSSLError.library("creating a memory buffer") }
        self.bio = bio
    }

    convenience init(_ bytes: [UInt8]) throws(BundleError) {
        try self.init()
        let written = bytes.withUnsafeBytes { BIO_write(bio, $0.baseAddress, Int32(bytes.count)) }
        guard written == Int32(bytes.count) else { throw OpenSSLError.library("buffering key data") }
    }

    deinit { BIO_free(bio) }

    var contents: [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = BIO_read(bio, &buffer, Int32(buffer.count))
            if count <= 0 { break }
            result.append(contentsOf: buffer.prefix(Int(count)))
        }
        return result
    }
}

extension Digest {
    /// `Digest.of` for this module's typed-throws code: a hashing failure is a library error.
    static func checked(_ bytes: [UInt8]) throws(BundleError) -> Digest {
        do {
            return try Digest.of(bytes)
        } catch {
            throw BundleError.library(error.description)
        }
    }
}
