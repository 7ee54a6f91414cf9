import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file only its owner may read (mode 0600), replaced whole or not at all: the new bytes go to a
/// temporary file beside it, reach the disk, then take its name. A reader sees the old file or
/// the new one, never half of either, and a failure leaves the old one as it was.
enum PrivateFile {
    /// Replaces `path` (through a symbolic link, its target) with `bytes`, creating its folder
    /// (mode 0700) when it is missing.
    static func replace(_ path: String, with bytes: [UInt8]) throws(RegistryError) {
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let folder = (target as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .localFile(path: path, reason: "its folder \(folder) cannot be created")
        }
        var template = Array("\(folder)/.\((target as NSString).lastPathComponent).XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return -1 }
            return mkstemp(base)
        }
        guard fd >= 0 else { throw .localFile(path: path, reason: reason("a temporary file cannot be created in \(folder)")) }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let written = fchmod(fd, 0o600) == 0 && writeAll(bytes, to: fd) && fsync(fd) == 0
        let failure = written ? nil : reason("it cannot be written")
        close(fd)
        if let failure {
            unlink(temporary)
            throw .localFile(path: path, reason: failure)
        }
        guard rename(temporary, target) == 0 else {
            let failure = reason("it cannot be replaced")
            unlink(temporary)
            throw .localFile(path: path, reason: failure)
        }
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let count = write(fd, buffer.baseAddress?.advanced(by: offset), buffer.count - offset)
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { return false }
                offset += count
            }
            return true
        }
    }

    /// `what`, and the system's reason from errno.
    private static func reason(_ what: String) -> String {
        "\(what) (\(String(cString: strerror(errno))))"
    }
}
