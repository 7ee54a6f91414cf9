import AsyncHTTPClient
import NIOCore
import NIOPosix
import NIOSSL
import OCI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A transport-level failure (no HTTP response), classified for retry and reporting by the
/// error's type and code, never by its text (a host named `ssl-mirror.corp` is not a TLS problem).
struct TransportFailure {
    let error: RegistryError
    let reason: String
    let isRetryable: Bool

    /// Why a connection failed, before it is named after a host.
    struct Cause {
        let reason: String
        let isTLS: Bool
        let isRetryable: Bool

        static func unreachable(_ reason: String, retry: Bool) -> Cause { Cause(reason: reason, isTLS: false, isRetryable: retry) }
        static func tls(_ reason: String) -> Cause { Cause(reason: reason, isTLS: true, isRetryable: false) }

        static let refused = unreachable("connection refused (is the registry running, and is the port right?)", retry: true)
        static let reset = unreachable("the connection was reset", retry: true)
        static let unresolved = unreachable("the host name does not resolve", retry: false)
        static let timedOut = unreachable("the network is unreachable or timed out", retry: true)
    }

    static func classify(_ error: any Error, host: String) -> TransportFailure {
        switch error {
        case let error as RegistryError:
            return TransportFailure(error: error, reason: error.description, isRetryable: false)
        case is any DomainError, is CancellationError:
            return TransportFailure(error: .passthrough(error), reason: "\(error)", isRetryable: false)
        case let error as NIOConnectionError where !error.connectionErrors.isEmpty:
            // Every address refused or failed: the first attempt's error says why.
            return classify(error.connectionErrors[0].error, host: host)
        default:
            let cause = cause(of: error)
            let named: RegistryError = cause.isTLS ? .tls(host: host, reason: cause.reason) : .unreachable(host: host, reason: cause.reason)
            return TransportFailure(error: named, reason: cause.reason, isRetryable: cause.isRetryable)
        }
    }

    /// The cause of a failure from the HTTP client, NIO or the TLS stack, by the error's type.
    static func cause(of error: any Error) -> Cause {
        switch error {
        case let error as HTTPClientError:
            return cause(of: error)
        case let error as NIOConnectionError:
            return error.dnsAError != nil || error.dnsAAAAError != nil ? .unresolved : .unreachable("connection failed", retry: true)
        case is SocketAddressError, is SocketAddressError.UnknownHost:
            return .unresolved
        case let error as IOError:
            return cause(of: error)
        case let error as ChannelError:
            return cause(of: error)
        case let error as NIOSSLError:
            return cause(of: error)
        case let error as NIOSSLExtraError:
            return .tls(error == .failedToValidateHostname ? RegistryError.TLSReason.wrongHost : "handshake failed")
        case let error as BoringSSLError:
            return .tls(BoringSSLReason.tlsReason(error))
        default:
            return .unreachable("connection failed (\(type(of: error)))", retry: true)
        }
    }

    static func cause(of error: HTTPClientError) -> Cause {
        switch error {
        case .readTimeout: .unreachable("the registry stopped sending data (read timeout)", retry: true)
        case .connectTimeout: .unreachable("the connection timed out", retry: true)
        case .remoteConnectionClosed: .unreachable("the registry closed the connection", retry: true)
        case .tlsHandshakeTimeout: .unreachable("the TLS handshake timed out", retry: true)
        case .deadlineExceeded: .unreachable("the registry did not answer within the request timeout (--request-timeout)", retry: true)
        case .cancelled: .unreachable("the request was cancelled", retry: false)
        case .bodyLengthMismatch: .unreachable("the body was cut short", retry: true)
        default: .unreachable("the HTTP exchange failed (\(error))", retry: true)
        }
    }

    static func cause(of error: IOError) -> Cause {
        switch error.errnoCode {
        case ECONNREFUSED: .refused
        case ECONNRESET, EPIPE, ECONNABORTED: .reset
        case ENETUNREACH, EHOSTUNREACH, ETIMEDOUT, ENETDOWN, EHOSTDOWN: .timedOut
        default: .unreachable("connection failed (\(error.description.prefix(160)))", retry: true)
        }
    }

    static func cause(of error: ChannelError) -> Cause {
        switch error {
        case .connectTimeout: .unreachable("the connection timed out", retry: true)
        case .ioOnClosedChannel, .alreadyClosed, .eof, .outputClosed, .inputClosed: .reset
        default: .unreachable("connection failed (\(error))", retry: true)
        }
    }

    static func cause(of error: NIOSSLError) -> Cause {
        switch error {
        case .handshakeFailed(let cause): .tls(BoringSSLReason.tlsReason(cause))
        // The peer closed without a TLS close_notify: a broken connection, not a TLS setup problem.
        case .uncleanShutdown: .reset
        default: .tls("handshake failed")
        }
    }
}
