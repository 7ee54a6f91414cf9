/// Errors raised while parsing or validating OCI values.
public enum OCIError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidDigest(String)
    case invalidReference(String, reason: String)
    case invalidPlatform(String)
    case invalidDocument(kind: String, reason: String)
    /// OpenSSL failed while hashing (not the data's fault).
    case hashing(String)

    public var description: String {
        switch self {
        case .invalidDigest(let text):
            "'\(text)' is not a valid digest (expected sha256:<64 hex> or sha512:<128 hex>)"
        case .invalidReference(let text, let reason):
            "'\(text)' is not a valid image reference: \(reason)"
        case .invalidPlatform(let text):
            "'\(text)' is not a valid platform (expected os/arch[/variant], e.g. linux/amd64)"
        case .invalidDocument(let kind, let reason):
            "invalid \(kind): \(reason)"
        case .hashing(let text):
            text
        }
    }

    /// Why the value is invalid, without the value itself.
    public var reason: String {
        switch self {
        case .invalidReference(_, let reason), .invalidDocument(_, let reason): reason
        case .invalidDigest, .invalidPlatform, .hashing: description
        }
    }
}

extension OCIError: DomainError {}
