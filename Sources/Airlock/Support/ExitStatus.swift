import Bundle
import OCI
import Registry

/// The exit statuses every command uses: the one table (airlock(1), the README and `--help`
/// are tested against it).
public enum ExitStatus: Int32, Sendable, CaseIterable {
    case success = 0
    /// `diff` only: the bundles differ (as diff(1)).
    case different = 1
    case usage = 2
    /// Signatures, digests or structure do not verify.
    case verificationFailed = 3
    /// Cannot reach a registry, or it refused us (401/403), or kept failing.
    case registry = 4
    /// Some images succeeded and others failed.
    case partial = 5
    /// A local file could not be read or written.
    case io = 6
    /// A tag, manifest, or blob that was asked for does not exist.
    case notFound = 7
    /// The target holds a newer bundle, a tag --on-existing-tag fail must not move, or a repository
    /// refuses uploads (`push --preflight`: the push would be refused): nothing was written.
    case refused = 8
    /// A bug in airlock.
    case internalError = 70
    /// Ctrl-C or SIGTERM: pack keeps what it fetched and unpack what it wrote; the same command again carries on.
    case interrupted = 130
    /// Standard output was closed before the result was written (`airlock tags … | head -1`):
    /// 128 + SIGPIPE, what a shell reports for git in the same place.
    case closedOutput = 141

    /// The status in a few words: `airlock --help` lists these, and DocsTests hold airlock(1)
    /// and the README's table to exactly this list.
    public var summary: String {
        switch self {
        case .success: "success"
        case .different: "bundles differ (diff)"
        case .usage: "usage error"
        case .verificationFailed: "verification failed"
        case .registry: "registry or network failure"
        case .partial: "partial failure"
        case .io: "local file error"
        case .notFound: "not found"
        case .refused: "refused before any write (a downgrade, a conflict, a tag that must not move, a repository that refuses uploads)"
        case .internalError: "internal error (a bug)"
        case .interrupted: "interrupted (the same command again carries on)"
        case .closedOutput: "standard output closed early"
        }
    }

    /// `0 success, 1 bundles differ (diff), …`: the table as one line of help text.
    public static var helpText: String {
        allCases.map { "\($0.rawValue) \($0.summary)" }.joined(separator: ", ")
    }

    /// The status for an error raised anywhere below the CLI.
    public static func of(_ error: any Error) -> ExitStatus {
        switch error {
        case let error as AirlockError:
            switch error {
            case .usage: return .usage
            case .notFound: return .notFound
            case .io: return .io
            case .verification: return .verificationFailed
            case .partial: return .partial
            case .refused: return .refused
            }
        case let error as RegistryError:
            switch error {
            case .notFound: return .notFound
            case .digestMismatch, .sizeMismatch: return .verificationFailed
            case .badConfiguration: return .usage
            case .localFile: return .io
            case .passthrough(let inner): return of(inner)
            default: return .registry
            }
        case let error as BundleError:
            switch error {
            case .verification, .unsupportedVersion, .damagedFrame: return .verificationFailed
            case .key, .usage: return .usage
            case .io: return .io
            case .library: return .internalError
            }
        case is PolicyViolation:
            return .verificationFailed
        case let error as OCIError:
            if case .hashing = error { return .internalError }
            return .usage
        default:
            return .internalError
        }
    }
}
