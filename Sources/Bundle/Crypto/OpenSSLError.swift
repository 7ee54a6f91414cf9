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
