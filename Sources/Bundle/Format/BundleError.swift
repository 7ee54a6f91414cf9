import Foundation
import OCI

/// Errors from reading, writing, signing and verifying bundles. Each is one sentence.
public enum BundleError: DomainError, Sendable {
    /// The content does not verify: bad signature, missing signer, digest or size mismatch,
    /// damaged or truncated data, unexpected entries.
    case verification(String)
    /// The bundle declares a format this reader does not understand.
    case unsupportedVersion(String)
    /// A key file is missing, unreadable, of the wrong kind, or needs a passphrase.
    case key(String)
    /// Reading or writing a local file failed.
    case io(String)
    /// A C library reported an error outside the data's control.
    case library(String)
    /// The caller asked for something impossible (e.g. signature slot full).
    case usage(String)
    /// A compressed frame does not decode (a changed byte): the decoder's reason, which the reader
    /// that knows the entry turns into a sentence with `damaged(_:entry:cause:)`.
    case damagedFrame(String)

    public var description: String {
        switch self {
        case .verification(let text), .unsupportedVersion(let text), .key(let text), .io(let text), .library(let text), .usage(let text):
            text
        case .damagedFrame(let cause):
            "a compressed frame of the bundle is damaged (\(cause)): copy the file again from its source"
        }
    }

    /// The `cause` of `damaged` for a frame that does not decode.
    static func undecodable(_ reason: String) -> String { "does not decompress (\(reason))" }

    /// A changed byte, named the way the one who must act on it needs: the bundle, what was hit
    /// (a blob and the images that use it, or another entry), and the way out.
    public static func damaged(_ bundle: String, entry: String, cause: String) -> BundleError {
        .verification("\(bundle) is damaged: \(entry) \(cause); copy the file again from its source and compare its sha256sum with the original's")
    }

    /// A failed system call on `path`: the reason in words and, for the usual causes, what to do.
    public static func system(_ action: String, _ path: String, errno code: Int32 = errno) -> BundleError {
        let reason = switch code {
        case ENOSPC, EDQUOT: "the disk is full (free some space, or write somewhere else)"
        case EACCES, EPERM: "permission denied"
        case EROFS: "the file system is read-only"
        case ENOENT: "no such file or directory"
        default: String(cString: strerror(code)).lowercased()
        }
        return .io("cannot \(action) \(path): \(reason)")
    }

    /// A bundle that ends early: almost always an incomplete copy.
    public static func truncated(_ name: String, _ detail: String) -> BundleError {
        .verification("\(name) is truncated (\(detail)): the copy is incomplete; copy it again and compare its size and sha256sum with the original")
    }
}
