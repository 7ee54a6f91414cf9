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

    static func classify(_ error: any Error, host: String) -> TransportFailure {
        func unreachable(_ reason: String, retry: Bool) -> TransportFailure {
            TransportFailure(error: .unreachable(host: host, reason: reason), reason: reason, isRetryable: retry)
        }
        func tls(_ reason: String) -> TransportFailure {
            TransportFailure(error: .tls(host: host, reason: reason), reason: reason, isRetryable: false)
        }
        let refused = "connection refused (is the registry running, and is the port right?)"
        let reset = "the connection was reset"
        let unresolved = "the host name does not resolve"
        let timedOut = "the network is unreachable or timed out"

        switch error {
        case let error as RegistryError:
            return TransportFailure(error: error, reason: error.description, isRetryable: false)
        case is any DomainError, is CancellationError:
            return TransportFailure(error: .passthrough(error), reason: "\(error)", isRetryable: false)
        case let error as HTTPClientError:
            switch error {
            case .readTimeout: return unreachable("the registry stopped sending data (read timeout)", retry: true)
            case .connectTimeout: return unreachable("the connection timed out", retry: true)
            case .remoteConnectionClosed: return unreachable("the registry closed the connection", retry: true)
            case .tlsHandshakeTimeout: return unreachable("the TLS handshake timed out", retry: true)
            case .deadlineExceeded: return unreachable("the request took too long", retry: false)
            case .cancelled: return unreachable("the request was cancelled", retry: false)
            case .bodyLengthMismatch: return unreachable("the body was cut short", retry: true)
            default: return unreachable("the HTTP exchange failed (\(error))", retry: true)
            }
        case let error as NIOConnectionError:
            // Every address refused or failed: the first attempt's error says why.
            if let first = error.connectionErrors.first { return classify(first.error, host: host) }
            if error.dnsAError != nil || error.dnsAAAAError != nil { return unreachable(unresolved, retry: false) }
            return unreachable("connection failed", retry: true)
        case is SocketAddressError, is SocketAddressError.UnknownHost:
            return unreachable(unresolved, retry: false)
        case let error as IOError:
            switch error.errnoCode {
            case ECONNREFUSED: return unreachable(refused, retry: true)
            case ECONNRESET, EPIPE, ECONNABORTED: return unreachable(reset, retry: true)
            case ENETUNREACH, EHOSTUNREACH, ETIMEDOUT, ENETDOWN, EHOSTDOWN: return unreachable(timedOut, retry: true)
            default: return unreachable("connection failed (\(error.description.prefix(160)))", retry: true)
            }
        case let error as ChannelError:
            switch error {
            case .connectTimeout: return unreachable("the connection timed out", retry: true)
            case .ioOnClosedChannel, .alreadyClosed, .eof, .outputClosed, .inputClosed: return unreachable(reset, retry: true)
            default: return unreachable("connection failed (\(error))", retry: true)
            }
        case let error as NIOSSLError:
            switch error {
            case .handshakeFailed(let cause): return tls(BoringSSLReason.tlsReason(cause))
            // The peer closed without a TLS close_notify: a broken connection, not a TLS setup problem.
            case .uncleanShutdown: return unreachable(reset, retry: true)
            default: return tls("handshake failed")
            }
        case let error as NIOSSLExtraError:
            return tls(error == .failedToValidateHostname ? RegistryError.TLSReason.wrongHost : "handshake failed")
        case let error as BoringSSLError:
            return tls(BoringSSLReason.tlsReason(error))
        default:
            return unreachable("connection failed (\(type(of: error)))", retry: true)
        }
    }
}
