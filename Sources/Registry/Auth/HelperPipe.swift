import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pipe whose descriptors close on exec, so no other process started meanwhile inherits them
/// (the helper gets its ends through the dup2 that makes them its stdin, stdout and stderr).
/// With inherited ends, helpers started together hold each other's input open and each waits
/// for an end of input that never comes.
struct HelperPipe: Sendable {
    let reading: FileHandle
    let writing: FileHandle

    /// Held while a pipe is made and flagged, and while a helper starts: no helper can start
    /// between a pipe's creation and its close-on-exec flag (Glibc does not offer pipe2 to Swift).
    static let spawning = NIOLock()

    init(helper: String) throws {
        var descriptors: [Int32] = [-1, -1]
        let made = Self.spawning.withLock {
            pipe(&descriptors) == 0
                && fcntl(descriptors[0], F_SETFD, FD_CLOEXEC) == 0 && fcntl(descriptors[1], F_SETFD, FD_CLOEXEC) == 0
        }
        guard made else {
            let reason = String(cString: strerror(errno))
            for descriptor in descriptors where descriptor >= 0 { close(descriptor) }
            throw RegistryError.credentialHelper(helper: helper, reason: "no pipe to talk to it (\(reason))")
        }
        reading = FileHandle(fileDescriptor: descriptors[0], closeOnDealloc: true)
        writing = FileHandle(fileDescriptor: descriptors[1], closeOnDealloc: true)
    }
}
