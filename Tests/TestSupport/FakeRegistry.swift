import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A request as the fake registry saw it.
public struct FakeRequest: Sendable {
    public let method: HTTPMethod
    public let uri: String
    public let headers: HTTPHeaders
    public let body: [UInt8]

    public var path: String { String(uri.split(separator: "?", maxSplits: 1).first ?? "") }
}

/// What the fake registry does with a request.
public struct FakeResponse: Sendable {
    public enum Behaviour: Sendable {
        case normal
        /// Sends the head and this many body bytes, then drops the connection.
        case resetAfter(Int)
        /// Sends the head and nothing more, holding the connection open.
        case stall
        /// Sends nothing at all, not even the head, holding the connection open.
        case silent
        /// Sends the head, then the body one byte every interval (a read timeout never fires).
        case drip(TimeAmount)
    }

    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]
    public var behaviour: Behaviour

    public init(_ status: HTTPResponseStatus, headers: [(String, String)] = [], body: [UInt8] = [], behaviour: Behaviour = .normal) {
        self.status = status
        self.headers = HTTPHeaders(headers)
        self.body = body
        self.behaviour = behaviour
    }

    public static func json(_ status: HTTPResponseStatus, _ text: String, headers: [(String, String)] = []) -> FakeResponse {
        FakeResponse(status, headers: [("Content-Type", "application/json")] + headers, body: Array(text.utf8))
    }

    /// A JSON answer with a status given by number (for tables of statuses).
    public static func json(code: Int, _ text: String, headers: [(String, String)] = []) -> FakeResponse {
        .json(HTTPResponseStatus(statusCode: code), text, headers: headers)
    }
}

/// An in-process HTTP server for fault injection: 5xx, 429, resets, stalls, lies.
/// Only for what the real registry cannot be made to do; everything else tests against docker-registry.
public final class FakeRegistry: Sendable {
    public let port: Int
    public var host: String { "127.0.0.1:\(port)" }
    private let channel: any Channel
    private let recorded: NIOLockedValueBox<[FakeRequest]>

    /// Every request received so far.
    public var requests: [FakeRequest] { recorded.withLockedValue { $0 } }

    /// With `tls`, the port speaks HTTPS to clients that start a TLS handshake and plain HTTP to
    /// the others (so one origin can be reached with either scheme).
    public static func start(tls: FakeTLS? = nil, _ handler: @escaping @Sendable (FakeRequest) -> FakeResponse) async throws -> FakeRegistry {
        let box = NIOLockedValueBox<[FakeRequest]>([])
        let sslContext = try tls.map { tls in
            try NIOSSLContext(configuration: .makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(tls.certificate).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.key, format: .pem))))
        }
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext { try channel.pipeline.syncOperations.addHandler(TLSSniffer(context: sslContext)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(FakeHandler(handler: handler, recorded: box))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return FakeRegistry(channel: channel, recorded: box)
    }

    private init(channel: any Channel, recorded: NIOLockedValueBox<[FakeRequest]>) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
        self.recorded = recorded
    }

    public func stop() async {
        try? await channel.close()
    }
}

private final class FakeHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let handler: @Sendable (FakeRequest) -> FakeResponse
    let recorded: NIOLockedValueBox<[FakeRequest]>
    var head: HTTPRequestHead?
    var body: [UInt8] = []

    init(handler: @escaping @Sendable (FakeRequest) -> FakeResponse, recorded: NIOLockedValueBox<[FakeRequest]>) {
        self.handler = handler
        self.recorded = recorded
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
        case .body(let buffer):
            body.append(contentsOf: buffer.readableBytesView)
        case .end:
            guard let head else { return }
            let request = FakeRequest(method: head.method, uri: head.uri, headers: head.headers, body: body)
            recorded.withLockedValue { $0.append(request) }
            respond(handler(request), to: head, context: context)
            self.head = nil
        }
    }

    private func respond(_ response: FakeResponse, to request: HTTPRequestHead, context: ChannelHandlerContext) {
        if case .silent = response.behaviour { return }
        var headers = response.headers
        if !headers.contains(name: "Content-Length") {
            headers.add(name: "Content-Length", value: String(response.body.count))
        }
        let head = HTTPResponseHead(version: request.version, status: response.status, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        let sendBody = request.method != .HEAD
        switch response.behaviour {
        case .normal:
            if sendBody, !response.body.isEmpty {
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
            }
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        case .resetAfter(let count):
            let part = ByteBuffer(bytes: response.body.prefix(count))
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(part)))).whenComplete { _ in
                context.close(promise: nil)
            }
        case .stall, .silent:
            context.flush()
        case .drip(let interval):
            context.flush()
            drip(response.body[...], every: interval, context: context)
        }
    }

    /// Writes one byte of `rest` now and the next one `interval` later, until none is left.
    private func drip(_ rest: ArraySlice<UInt8>, every interval: TimeAmount, context: ChannelHandlerContext) {
        guard let byte = rest.first, context.channel.isActive else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            return
        }
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: [byte])))), promise: nil)
        let next = rest.dropFirst()
        context.eventLoop.scheduleTask(in: interval) { self.drip(next, every: interval, context: context) }
    }
}

/// A self-signed certificate for 127.0.0.1, made with the openssl tool; pass `certificate` as
/// the client's CA file.
public struct FakeTLS: Sendable {
    public let certificate: String
    public let key: String

    public static func make() throws -> FakeTLS {
        let directory = try TestPaths.temporaryDirectory("fake-tls")
        let tls = FakeTLS(certificate: directory.appendingPathComponent("cert.pem").path, key: directory.appendingPathComponent("key.pem").path)
        let made = try run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                       "-keyout", tls.key, "-out", tls.certificate, "-days", "1", "-subj", "/CN=127.0.0.1",
                                       "-addext", "subjectAltName=IP:127.0.0.1"])
        guard made.status == 0 else { throw TestError("openssl req failed: \(made.stderr)") }
        return tls
    }
}

/// Looks at a connection's first byte: a TLS handshake record (22) gets a TLS handler, anything
/// else is plain HTTP.
private final class TLSSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    let context: NIOSSLContext

    init(context: NIOSSLContext) { self.context = context }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        if buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) == 22 {
            do {
                try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: self.context), position: .after(self))
            } catch {
                context.fireErrorCaught(error)
                context.close(promise: nil)
                return
            }
        }
        context.fireChannelRead(data)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
