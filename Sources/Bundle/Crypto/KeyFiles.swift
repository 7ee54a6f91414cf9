import Foundation
import OCI

/// OpenSSL's passphrase callback: copies the NUL-terminated passphrase in `userData`, or fails
/// when there is none. Without it OpenSSL would ask on the terminal ("Enter PEM pass phrase:").
func pemPassphrase(_ buffer: UnsafeMutablePointer<CChar>?, _ size: Int32, _ rwflag: Int32, _ userData: UnsafeMutableRawPointer?) -> Int32 {
    guard let buffer, let userData, size > 0 else { return 0 }
    let phrase = userData.assumingMemoryBound(to: CChar.self)
    let length = strlen(phrase)
    guard length > 0, length < Int(size) else { return 0 }
    memcpy(buffer, phrase, length)
    return Int32(length)
}

/// PKCS#8 `ENCRYPTED PRIVATE KEY`, or a traditional PEM key with `Proc-Type: 4,ENCRYPTED`.
func isEncryptedPrivateKey(_ bytes: [UInt8]) -> Bool {
    let text = String(decoding: bytes, as: UTF8.self)
    return text.contains("ENCRYPTED PRIVATE KEY") || text.contains("Proc-Type: 4,ENCRYPTED")
}

func readKeyFile(_ path: String) throws(BundleError) -> [UInt8] {
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
