import OCI

/// What went wrong talking to a registry, as one sentence a user can act on.
/// Never carries credentials or tokens; the registry's own error body is kept when it sent one.
public enum RegistryError: DomainError, Sendable {
    /// Could not connect or the connection broke, after retries.
    case unreachable(host: String, reason: String)
    /// TLS handshake or certificate failure.
    case tls(host: String, reason: String)
    /// 401 after presenting whatever credentials we had.
    case unauthorized(host: String, repository: String?, hadCredentials: Bool, detail: String?)
    /// 403: authenticated but not allowed to read or to write.
    case forbidden(host: String, repository: String?, access: Access, detail: String?)
    case notFound(what: String, host: String, detail: String?)
    /// Any other unexpected status.
    case unexpectedStatus(Int, operation: String, host: String, detail: String?)
    /// 429/5xx storms that outlived the retry budget.
    case gaveUp(operation: String, host: String, lastStatus: Int?, attempts: Int)
    /// Bytes that do not hash to what they claim.
    case digestMismatch(what: String, expected: Digest, actual: Digest)
    case sizeMismatch(what: String, expected: Int64, actual: Int64)
    /// A response that breaks the protocol (bad JSON, missing header, oversized manifest).
    case protocolViolation(host: String, reason: String)
    /// More redirects than the limit for one request: `request` names what was asked, `last`
    /// where the last redirect pointed (without its query, which may hold a signature).
    case redirectLoop(host: String, request: String, limit: Int, last: String)
    /// 405 to a DELETE: the registry does not allow deleting (distribution's `storage.delete.enabled`).
    case deleteRefused(host: String, detail: String?)
    /// GET /v2/ was answered, but not as a registry answers it (`answer`: "404 text/html").
    case notARegistry(host: String, answer: String)
    /// Request bodies of `refused` bytes were refused (413, or the connection closed under them)
    /// even in the smallest chunks.
    case bodyTooLarge(host: String, refused: Int64, cause: String)
    /// A manifest refused for what it is (its size or media type), in a sentence naming it.
    case manifestRefused(String)
    /// Plain HTTP was sent to a registry that answers only HTTPS.
    case speaksHTTPS(host: String)
    case authServer(realm: String, reason: String)
    case credentialHelper(helper: String, reason: String)
    case badConfiguration(String)
    /// A credential file (docker's config.json) that cannot be read back or written.
    case localFile(path: String, reason: String)
    /// The registry refused the credentials `airlock login` was given (a 401, from it or its token server).
    case loginRefused(host: String, username: String, detail: String?)
    /// An error from outside the registry layer (a body source, a consumer), carried unchanged.
    case passthrough(any Error)

    /// What to do about a TLS failure, by its cause.
    static func tlsHint(_ reason: String) -> String {
        switch reason {
        case TLSReason.unknownAuthority:
            return "pass --ca-file with the CA certificate that signed the registry's certificate (or --insecure-skip-tls-verify, at your own risk)"
        case TLSReason.wrongHost:
            return "use a host name the certificate lists, or pass --insecure-skip-tls-verify at your own risk"
        case TLSReason.notTLS:
            return "it answers in plain HTTP: add --plain-http"
        default:
            return "use --ca-file to trust a private CA, or --plain-http if it does not speak HTTPS"
        }
    }

    /// Whether a request reads from the registry or writes to it (what a 403 refused).
    public enum Access: Sendable {
        case read, write, delete
    }

    /// The TLS failure causes the transport tells apart.
    enum TLSReason {
        static let unknownAuthority = "certificate signed by unknown authority"
        static let wrongHost = "the certificate does not name this host"
        static let notTLS = "the server does not speak TLS here"
    }

    public var description: String {
        switch self {
        case .unreachable(let host, let reason):
            return "cannot reach registry \(host): \(reason)"
        case .tls(let host, let reason):
            return "TLS with registry \(host) failed: \(reason); \(Self.tlsHint(reason))"
        case .unauthorized(let host, let repository, let hadCredentials, let detail):
            let target = repository.map { "\(host)/\($0)" } ?? host
            let hint = hadCredentials
                ? "the credentials were rejected; check the username and password (or airlock login again)"
                : "no credentials were found for \(host); run airlock login \(host), or pass --username and --password-stdin"
            return "registry \(target) refused access (401 Unauthorized): \(hint)" + (detail.map { " [\($0)]" } ?? "")
        case .forbidden(let host, let repository, let access, let detail):
            let target = repository.map { "\(host)/\($0)" } ?? host
            let sentence = switch access {
            case .read:
                "registry \(target) denied reading (403 Forbidden): the account may not pull from that repository; check its rights or log in as another user"
            case .write:
                "registry \(target) denied the operation (403 Forbidden): the account may not write there, or the registry does not accept that name (create the project or repository first, or choose another --to namespace)"
            case .delete:
                "registry \(target) denied deleting (403 Forbidden): the account may not delete there; use an account with delete rights"
            }
            return sentence + (detail.map { " [\($0)]" } ?? "")
        case .notFound(let what, let host, let detail):
            return "\(what) not found on \(host)" + (detail.map { " [\($0)]" } ?? "")
        case .unexpectedStatus(let status, let operation, let host, let detail):
            return "registry \(host) answered \(status) to \(operation)" + (detail.map { " [\($0)]" } ?? "")
        case .gaveUp(let operation, let host, let lastStatus, let attempts):
            let last = lastStatus.map { "the last answer was \($0)" } ?? "the connection kept failing"
            let hint = switch lastStatus {
            case 429: "the registry is rate-limiting: wait, then run again (a re-run resumes), or lower --concurrency"
            case .some(500...): "the registry kept failing: check its logs and storage, then run again (a re-run resumes)"
            default: "check the network path to it, then run again (a re-run resumes)"
            }
            return "gave up on \(operation) at \(host) after \(attempts) attempts; \(last); \(hint)"
        case .digestMismatch(let what, let expected, let actual):
            return "\(what) does not match its digest: expected \(expected), got \(actual)"
        case .sizeMismatch(let what, let expected, let actual):
            return "\(what) has the wrong size: expected \(expected) bytes, got \(actual)"
        case .notARegistry(let host, let answer):
            return "\(host) is not a container registry (it answered GET /v2/ with \(answer)); check the host and port"
        case .bodyTooLarge(let host, let refused, let cause):
            return "registry \(host) (or a proxy in front of it) refused a request body of \(refused) bytes (\(cause)), and airlock sends nothing smaller than \(UploadMode.smallestChunk / 1_048_576) MiB chunks; raise the body limit (nginx: client_max_body_size; the proxy in front of Harbor, Nexus or Artifactory)"
        case .speaksHTTPS(let host):
            return "registry \(host) speaks HTTPS, not plain HTTP (it answered 400 to http://); drop --plain-http, and pass --ca-file if its CA is private"
        case .protocolViolation(let host, let reason):
            return "registry \(host) broke the protocol: \(reason)"
        case .redirectLoop(let host, let request, let limit, let last):
            return "\(host) redirected \(request) more than \(limit) times, the last time to \(last): a redirect loop that the operator of the registry, its storage or its proxy must fix"
        case .deleteRefused(let host, let detail):
            return "registry \(host) does not allow deleting (405 Method Not Allowed); its operator must enable deletes (distribution: storage.delete.enabled: true; Harbor, Quay, Artifactory: the project's or repository's delete permission) before prune can remove anything" + (detail.map { " [\($0)]" } ?? "")
        case .authServer(let realm, let reason):
            return "token server \(realm) failed: \(reason)"
        case .credentialHelper(let helper, let reason):
            return "credential helper docker-credential-\(helper) failed: \(reason)"
        case .badConfiguration(let reason), .manifestRefused(let reason):
            return reason
        case .localFile(let path, let reason):
            return "cannot update \(path): \(reason)"
        case .loginRefused(let host, let username, let detail):
            return "registry \(host) refused the login of \(username) (401 Unauthorized): check the username and password; nothing was stored" + (detail.map { " [\($0)]" } ?? "")
        case .passthrough(let error):
            return "\(error)"
        }
    }

    /// Statuses that say "this will never work", as opposed to a broken network.
    public var isAccessDenied: Bool {
        switch self {
        case .unauthorized, .forbidden, .loginRefused: true
        default: false
        }
    }
}
