import Bundle
import OCI
import Registry

/// Errors the operations raise themselves. Each reads as one sentence; the CLI maps them to exit statuses.
public enum AirlockError: DomainError, Sendable {
    case usage(String)
    case notFound(String)
    case io(String)
    case verification(String)
    case partial(String)
    /// The target holds what this operation must not undo (a newer bundle, a tag that must not move).
    case refused(String)

    public var description: String {
        switch self {
        case .usage(let text), .notFound(let text), .io(let text), .verification(let text), .partial(let text), .refused(let text): text
        }
    }
}
