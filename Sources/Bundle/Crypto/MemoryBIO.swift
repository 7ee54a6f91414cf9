import COpenSSL
import OCI

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
