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

    public var description: String {
        switch self {
        case .verification(let text), .unsupportedVersion(let text), .key(let text), .io(let text), .library(let text), .usage(let text):
            text
        }
    }
}
