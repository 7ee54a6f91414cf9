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

    public var description: String {
        switch self {
        case .usage(let text), .notFound(let text), .io(let text), .verification(let text), .partial(let text): text
        }
    }
}
