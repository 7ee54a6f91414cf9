import Foundation
import NIOCore
import NIOSSL
@testable import Registry
import Testing
import TestSupport

/// Transport failures are told apart by their type, never by words in their text.
struct TransportFailureTests {
    @Test func refusedConnectionToAHostNamedSSLIsRetryable() {
        let error = IOError(errnoCode: ECONNREFUSED, reason: "connect to ssl-mirror.corp:443 (tls)")
        let failure = TransportFailure.classify(error, host: "ssl-mirror.corp")
        #expect(failure.isRetryable)
        guard case .unreachable(_, let reason) = failure.error else {
            Issue.record("a refused connection became \(failure.error)")
            return
        }
        #expect(reason.contains("connection refused"), "\(reason)")
    }

    @Test func refusedConnectionThroughTheClient() async throws {
        // A port nobody listens on: NIO's connection error, classified by its errno.
        let port = try freePort()
        do {
            try await withClient("127.0.0.1:\(port)", configure: { $0.plainHTTP = true; $0.retry = .none }) { try await $0.checkReachable() }
            Issue.record("expected a refusal")
        } catch let error as RegistryError {
            guard case .unreachable(_, let reason) = error else { throw error }
            #expect(reason.contains("connection refused"), "\(reason)")
        }
    }

    @Test func closedChannelIsAReset() {
        let failure = TransportFailure.classify(ChannelError.ioOnClosedChannel, host: "h")
        #expect(failure.isRetryable)
        guard case .unreachable = failure.error else {
            Issue.record("\(failure.error)")
            return
        }
    }

    @Test func hostNameMismatchIsAWrongHost() {
        let failure = TransportFailure.classify(NIOSSLExtraError.failedToValidateHostname, host: "h")
        #expect(!failure.isRetryable)
        guard case .tls(_, let reason) = failure.error else {
            Issue.record("\(failure.error)")
            return
        }
        #expect(reason == RegistryError.TLSReason.wrongHost)
    }

    @Test func handshakeCutShortIsATLSFailureAndAnUncleanCloseIsAReset() {
        let handshake = TransportFailure.classify(NIOSSLError.handshakeFailed(.sslError([.eofDuringHandshake])), host: "h")
        #expect(!handshake.isRetryable)
        guard case .tls = handshake.error else {
            Issue.record("\(handshake.error)")
            return
        }
        let unclean = TransportFailure.classify(NIOSSLError.uncleanShutdown, host: "h")
        #expect(unclean.isRetryable)
        guard case .unreachable = unclean.error else {
            Issue.record("\(unclean.error)")
            return
        }
    }
}
