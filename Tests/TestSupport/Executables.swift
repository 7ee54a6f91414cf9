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

/// A private containerd daemon (its own root, state and socket) for `ctr` pulls; `stop()` ends it.
public final class PrivateContainerd {
    public let socket: String
    let daemon: Process

    public init(root: String) throws {
        socket = root + "/sock"
        daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: "/usr/bin/containerd")
        daemon.arguments = ["--root", root + "/root", "--state", root + "/state", "--address", socket]
        daemon.standardOutput = FileHandle.nullDevice
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: socket) { Thread.sleep(forTimeInterval: 0.1) }
    }

    /// `ctr --address SOCKET ARGUMENTS`, ended after 120 s.
    public func ctr(_ arguments: [String]) throws -> ProcessResult {
        try run("timeout", ["120", "ctr", "--address", socket] + arguments)
    }

    public func stop() {
        daemon.terminate()
        daemon.waitUntilExit()
    }
}
