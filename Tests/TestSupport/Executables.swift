import Foundation

/// Writes an executable script (0755). With O_CLOEXEC: a descriptor open for writing that leaks into
/// a process another test spawns at the same moment would make running the script fail with ETXTBSY.
public func writeExecutable(_ path: String, _ script: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
    guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    defer { close(fd) }
    let bytes = Array(script.utf8)
    let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    guard written == bytes.count else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
}
