import Bundle
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import OCI

/// A read-only OCI distribution registry served straight from a bundle file: the pull side of
/// the distribution spec (https://github.com/opencontainers/distribution-spec/blob/main/spec.md),
/// nothing written. Signatures and structure are checked before it listens; each blob streams
/// through the seek table from its own frames (no extraction, one frame in memory) and is hashed
/// as it goes, with its last piece held back until the digest matches, so no client ever
/// receives a complete wrong blob.
public final class BundleServer: Sendable {
    public struct Options: Sendable {
        public var host = "127.0.0.1"
        public var port = 5000
        /// PEM certificate chain and private key: HTTPS instead of HTTP.
        public var tls: (certificate: String, key: String)?
        /// How long transfers in flight may take to finish after SIGINT/SIGTERM.
        public var grace: TimeAmount = .seconds(10)
        /// A connection whose client has stopped reading for this long is closed, so it cannot
        /// hold a turn to stream a blob (`BlobTurns`) forever.
        public var stalledClient: TimeAmount = .seconds(60)
        /// How long a request head may take to arrive whole, from its first byte.
        public var headerTimeout: TimeAmount = .seconds(10)
        /// How long a keep-alive connection may wait for its next request.
        public var idleTimeout: TimeAmount = .seconds(60)
        /// Connections open at once; one more is closed when it is accepted.
        public var maxConnections = 512
        public init() {}
    }

    let file: BundleFile
    let catalog: ServeCatalog
    let name: String
    let log: @Sendable (String) -> Void
    /// Blobs found corrupt while sending: refused from then on.
    private let corrupt = NIOLockedValueBox<Set<Digest>>([])
    /// Turns to stream a blob, which bound the memory blobs in flight hold.
    private let turns = BlobTurns()
    /// Responses in flight, and the channel that accepts connections (for shutdown).
    private let state = NIOLockedValueBox<(inFlight: Int, server: (any Channel)?, stopping: Bool)>((0, nil, false))

    /// Opens and checks the bundle (every required key signed it; its structure matches the
    /// signed manifest) and lays out its repositories as `naming` would push them.
    /// With `cosignKeys`, every image must also carry a valid cosign signature by one of them, as
    /// push --cosign-key requires.
    public init(bundle: String, trust: Trust, cosignKeys: [PublicKey] = [], naming: TargetNaming,
                log: @escaping @Sendable (String) -> Void) async throws {
        let file = try TrustedBundle.open(bundle, trust: trust).file
        try CosignVerification(keys: cosignKeys + (trust.policy?.images.cosignKeys ?? [])).check(file.manifest) { try file.read($0) }
        self.file = file
        self.catalog = try await ServeCatalog.make(file.manifest, naming: naming) { try file.read($0) }
        self.name = "\(file.manifest.name) \(file.manifest.version)"
        self.log = log
    }

    public var summary: String {
        let images = file.manifest.images.count
        return "\(name) (\(images) image\(images == 1 ? "" : "s") in \(catalog.names.count) repositor\(catalog.names.count == 1 ? "y" : "ies"))"
    }

    /// Listens and serves until `stop` (or an error); `ready` gets the bound address first.
    public func run(_ options: Options, ready: @Sendable (SocketAddress) -> Void) async throws {
        let tls = try options.tls.map { try Self.tlsContext(certificate: $0.certificate, key: $0.key) }
        let limit = ConnectionLimit(options.maxConnections)
        // A connection over the limit is closed at once and arrives here as nil.
        let server: NIOAsyncChannel<Connection?, Never>
        do {
            server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: options.host, port: options.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        guard limit.admit(channel) else { return nil }
                        return try Self.connection(channel, options, tls: tls)
                    }
                }
        } catch let error as IOError {
            throw Self.listenFailure(error.errnoCode, host: options.host, port: options.port)
        } catch let error as SocketAddressError {
            throw AirlockError.usage("cannot listen on \(options.host):\(options.port): \(options.host) is not an address of this machine (\(error))")
        }
        let accepting = state.withLockedValue { state -> Bool in
            state.server = server.channel
            return !state.stopping
        }
        guard accepting else { return }
        if let address = server.channel.localAddress { ready(address) }
        try await server.executeThenClose { connections in
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in connections {
                    guard let connection else { continue }
                    group.addTask { await self.serve(connection) }
                }
            }
        }
    }

    /// Why a listen failed, in words, with what to do for the usual causes.
    static func listenFailure(_ code: Int32, host: String, port: Int) -> AirlockError {
        let address = "\(host):\(port)"
        return switch code {
        case EADDRINUSE: .io("cannot listen on \(address): another program already uses port \(port) (stop it, or give another --listen address)")
        case EACCES, EPERM: .io("cannot listen on \(address): ports below 1024 need root or CAP_NET_BIND_SERVICE (give a port above 1024)")
        case EADDRNOTAVAIL: .io("cannot listen on \(address): \(host) is not an address of this machine")
        default: .io("cannot listen on \(address): \(String(cString: strerror(code)).lowercased())")
        }
    }

    /// Stops accepting connections; transfers in flight get `grace` to finish. Returns once
    /// nothing is in flight (or the grace period is over).
    public func stop(grace: TimeAmount) async {
        let server = state.withLockedValue { state in
            state.stopping = true
            return state.server
        }
        try? await server?.close()
        let deadline = NIODeadline.now() + grace
        while NIODeadline.now() < deadline, state.withLockedValue({ $0.inFlight }) > 0 {
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    static func tlsContext(certificate: String, key: String) throws -> NIOSSLContext {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            guard !chain.isEmpty else { throw AirlockError.usage("--tls-cert \(certificate) holds no PEM certificate") }
            let configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            return try NIOSSLContext(configuration: configuration)
        } catch let error as AirlockError {
            throw error
        } catch {
            throw AirlockError.usage("cannot use --tls-cert \(certificate) and --tls-key \(key): they must be a PEM certificate and its unencrypted PEM private key")
        }
    }

    // MARK: - One connection

    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    /// An accepted channel's pipeline: the stall clock on the raw socket, TLS, HTTP, then the
    /// clocks of a client slow to ask.
    private static func connection(_ channel: any Channel, _ options: Options, tls: NIOSSLContext?) throws -> Connection {
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(StalledClientHandler(limit: options.stalledClient))
        if let tls { try pipeline.addHandler(NIOSSLServerHandler(context: tls)) }
        try pipeline.configureHTTPServerPipeline()
        try pipeline.addHandler(RequestTimeoutHandler(header: options.headerTimeout, idle: options.idleTimeout))
        return try Connection(wrappingChannelSynchronously: channel)
    }

    private func serve(_ connection: Connection) async {
        let peer = connection.channel.remoteAddress?.ipAddress ?? "-"
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                for try await part in inbound {
                    switch part {
                    case .head(let received): head = received
                    case .body: continue  // nothing here takes a body
                    case .end:
                        guard let request = head else { continue }
                        head = nil
                        let keepAlive = try await respond(to: request, peer: peer, outbound, channel: connection.channel)
                        if !keepAlive { return }
                    }
                }
            }
        } catch {
            // The connection broke or was cut on purpose (a corrupt blob): already logged.
        }
    }

    /// Answers one request; false when the connection is to close after it (the client asked, or
    /// the server is stopping: an idle keep-alive connection must not outlive the grace period).
    private func respond(to request: HTTPRequestHead, peer: String, _ out: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>,
                         channel: any Channel) async throws -> Bool {
        let stopping = state.withLockedValue { state in
            state.inFlight += 1
            return state.stopping
        }
        defer { state.withLockedValue { $0.inFlight -= 1 } }
        let start = NIODeadline.now()
        var sent: Int64 = 0
        var status = HTTPResponseStatus.ok
        defer {
            let milliseconds = (NIODeadline.now() - start).nanoseconds / 1_000_000
            log("\(peer) \(request.method) \(request.uri) \(status.code) \(sent) \(milliseconds)ms")
        }
        let response = route(request)
        status = response.status
        var headers = response.headers
        headers.replaceOrAdd(name: "Docker-Distribution-API-Version", value: "registry/2.0")
        if stopping { headers.replaceOrAdd(name: "Connection", value: "close") }
        switch response.body {
        case .bytes(let bytes):
            headers.replaceOrAdd(name: "Content-Length", value: "\(bytes.count)")
            try await out.write(.head(HTTPResponseHead(version: request.version, status: status, headers: headers)))
            if request.method != .HEAD, !bytes.isEmpty {
                try await out.write(.body(.byteBuffer(ByteBuffer(bytes: bytes))))
                sent = Int64(bytes.count)
            }
            try await Self.end(channel)
        case .blob(let descriptor, let range):
            try await out.write(.head(HTTPResponseHead(version: request.version, status: status, headers: headers)))
            if request.method != .HEAD {
                do {
                    try await streamBlob(descriptor, range: range, to: out) { sent += $0 }
                } catch {
                    log("\(peer) \(request.method) \(request.uri): cut after \(sent) bytes: \(error)")
                    throw error
                }
            }
            try await Self.end(channel)
        }
        return request.isKeepAlive && !stopping
    }

    /// Ends a response, written straight to the channel so that its promise says when every byte
    /// before it has reached the socket: NIO drops writes still pending when a channel closes, and
    /// so does the exit after a grace period, so a transfer counts as in flight until then.
    private static func end(_ channel: any Channel) async throws {
        try await channel.writeAndFlush(HTTPServerResponsePart.end(nil)).get()
    }

    /// Bytes per write: below glibc's 128 KiB mmap threshold, so the buffers of many transfers
    /// come and go within malloc's arenas instead of raising that threshold and staying resident.
    static let chunkSize = 64 << 10

    /// Sends a blob's bytes in `range`, hashing the whole blob; the last piece waits for the digest.
    private func streamBlob(
        _ descriptor: Descriptor, range: ClosedRange<Int64>?, to out: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>,
        counted: (Int64) -> Void
    ) async throws {
        let permits = turns.permits(for: descriptor)
        await permits.acquire()
        defer { permits.release() }
        let hasher = DigestHasher(descriptor.digest.algorithm)
        let wanted = range ?? 0...(descriptor.size - 1)
        var offset: Int64 = 0
        var held: ByteBuffer?
        let allocator = ByteBufferAllocator()
        let reader = try damage(descriptor) { try file.reader(for: descriptor.digest) }
        while true {
            var chunk = allocator.buffer(capacity: Self.chunkSize)
            let count = try damage(descriptor) {
                try chunk.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.chunkSize) { space in
                    try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: space.prefix(Self.chunkSize)))
                }
            }
            if count == 0 { break }
            chunk.withUnsafeReadableBytes { hasher.update($0) }
            let chunkRange = offset...(offset + Int64(count) - 1)
            offset += Int64(count)
            guard chunkRange.overlaps(wanted) else { continue }
            let lower = max(chunkRange.lowerBound, wanted.lowerBound), upper = min(chunkRange.upperBound, wanted.upperBound)
            guard let piece = chunk.getSlice(at: Int(lower - chunkRange.lowerBound), length: Int(upper - lower + 1)) else { continue }
            // A failed write is the client's going (it hung up, or timed out), not the bundle's damage.
            if let previous = held {
                try await out.write(.body(.byteBuffer(previous)))
                counted(Int64(previous.readableBytes))
            }
            held = piece
        }
        try damage(descriptor) {
            guard offset == descriptor.size, try hasher.finalize() == descriptor.digest else {
                throw AirlockError.verification("blob \(descriptor.digest) in \(file.path) does not match its digest")
            }
        }
        if let held {
            try await out.write(.body(.byteBuffer(held)))
            counted(Int64(held.readableBytes))
        }
    }

    /// Runs a read of the bundle; when it fails, the blob is damaged: refused from then on.
    private func damage<Result>(_ descriptor: Descriptor, _ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch {
            corrupt.withLockedValue { _ = $0.insert(descriptor.digest) }
            throw error
        }
    }

    // MARK: - Routes

    enum Body {
        case bytes([UInt8])
        case blob(Descriptor, ClosedRange<Int64>?)
    }

    struct Response {
        var status: HTTPResponseStatus
        var headers: HTTPHeaders = [:]
        var body: Body = .bytes([])
    }

    /// The answer to one request, from the catalog alone (no I/O but blob streaming).
    func route(_ request: HTTPRequestHead) -> Response {
        let parts = request.uri.split(separator: "?", maxSplits: 1)
        let path = parts.first.map(String.init) ?? ""
        let query = Self.query(parts.count > 1 ? String(parts[1]) : "")
        guard path == "/v2" || path.hasPrefix("/v2/") else {
            return Self.error(.notFound, "NOT_FOUND", "not a registry API path")
        }
        guard request.method == .GET || request.method == .HEAD else {
            return Self.error(.methodNotAllowed, "UNSUPPORTED", "this registry is read-only: it serves a signed bundle (\(name))",
                              headers: [("Allow", "GET, HEAD")])
        }
        let rest = String(path.dropFirst(3)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        if rest.isEmpty { return Self.json(.ok, "{}") }
        if rest == "_catalog" {
            let (names, more) = ServeCatalog.page(catalog.names, n: query["n"].flatMap(Int.init), last: query["last"])
            return Self.listing(["repositories": names], next: more ? "/v2/_catalog?n=\(query["n"] ?? "")&last=\(names.last ?? "")" : nil)
        }
        for (marker, kind) in [("/tags/list", Route.tags), ("/manifests/", .manifest), ("/blobs/uploads", .upload), ("/blobs/", .blob), ("/referrers/", .referrers)] {
            guard let found = rest.range(of: marker) else { continue }
            let repositoryName = String(rest[..<found.lowerBound])
            let reference = String(rest[found.upperBound...])
            guard let repository = catalog.repositories[repositoryName] else {
                return Self.error(.notFound, "NAME_UNKNOWN", "repository name not known to registry", detail: repositoryName)
            }
            return route(kind, repository: repository, name: repositoryName, reference: reference, query: query, headers: request.headers)
        }
        return Self.error(.notFound, "NOT_FOUND", "not a registry API path")
    }

    enum Route { case tags, manifest, upload, blob, referrers }

    private func route(_ kind: Route, repository: ServeCatalog.Repository, name: String, reference: String,
                       query: [String: String], headers: HTTPHeaders) -> Response {
        switch kind {
        case .tags:
            let (tags, more) = ServeCatalog.page(repository.tags.keys.sorted(), n: query["n"].flatMap(Int.init), last: query["last"])
            return Self.listing(["name": name, "tags": tags], next: more ? "/v2/\(name)/tags/list?n=\(query["n"] ?? "")&last=\(tags.last ?? "")" : nil)
        case .upload:
            return Self.error(.methodNotAllowed, "UNSUPPORTED", "this registry is read-only")
        case .manifest:
            let digest = (try? Digest(parsing: reference)) ?? repository.tags[reference]
            guard let digest, let document = repository.manifests[digest] else {
                return Self.error(.notFound, "MANIFEST_UNKNOWN", "manifest unknown", detail: reference)
            }
            return Response(status: .ok, headers: ["Content-Type": document.mediaType, "Docker-Content-Digest": document.digest.description],
                             body: .bytes(document.bytes))
        case .blob:
            guard let digest = try? Digest(parsing: reference) else {
                return Self.error(.badRequest, "DIGEST_INVALID", "provided digest did not match uploaded content", detail: reference)
            }
            if let document = repository.manifests[digest] {
                // Registries serve manifests through the blob endpoint too.
                return Response(status: .ok, headers: ["Content-Type": "application/octet-stream", "Docker-Content-Digest": digest.description],
                                body: .bytes(document.bytes))
            }
            guard let descriptor = repository.blobs[digest] else {
                return Self.error(.notFound, "BLOB_UNKNOWN", "blob unknown to registry", detail: reference)
            }
            if corrupt.withLockedValue({ $0.contains(digest) }) {
                return Self.error(.internalServerError, "BLOB_UNKNOWN", "blob \(digest) is damaged in the bundle; it is not served")
            }
            var response = Response(status: .ok, headers: ["Content-Type": "application/octet-stream", "Docker-Content-Digest": digest.description,
                                                             "Accept-Ranges": "bytes", "Content-Length": "\(descriptor.size)"],
                                    body: .blob(descriptor, nil))
            if let header = headers.first(name: "Range") {
                guard let range = Self.byteRange(header, size: descriptor.size) else {
                    return Response(status: .rangeNotSatisfiable, headers: ["Content-Range": "bytes */\(descriptor.size)"])
                }
                response.status = .partialContent
                response.headers.replaceOrAdd(name: "Content-Length", value: "\(range.count)")
                response.headers.add(name: "Content-Range", value: "bytes \(range.lowerBound)-\(range.upperBound)/\(descriptor.size)")
                response.body = .blob(descriptor, range)
            }
            return response
        case .referrers:
            guard let digest = try? Digest(parsing: reference) else {
                return Self.error(.badRequest, "DIGEST_INVALID", "invalid digest", detail: reference)
            }
            let referrers = repository.manifests.values
                .filter { $0.subject?.digest == digest }
                .map { $0.referrerDescriptor() }
                .filter { descriptor in query["artifactType"].map { descriptor.artifactType == $0 } ?? true }
                .sorted { $0.digest < $1.digest }
            var response = Response(status: .ok, headers: ["Content-Type": MediaType.ociIndex], body: .bytes((try? OCILayout.indexJSON(referrers)) ?? []))
            if query["artifactType"] != nil { response.headers.add(name: "OCI-Filters-Applied", value: "artifactType") }
            return response
        }
    }

    /// `bytes=START-END`, `bytes=START-` or `bytes=-SUFFIX`, inside a blob of `size` bytes.
    static func byteRange(_ header: String, size: Int64) -> ClosedRange<Int64>? {
        guard header.hasPrefix("bytes="), !header.contains(","), size > 0 else { return nil }
        let spec = header.dropFirst("bytes=".count).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard spec.count == 2 else { return nil }
        if spec[0].isEmpty {
            guard let suffix = Int64(spec[1]), suffix > 0 else { return nil }
            return max(0, size - suffix)...(size - 1)
        }
        guard let start = Int64(spec[0]), start >= 0, start < size else { return nil }
        let end = spec[1].isEmpty ? size - 1 : min(Int64(spec[1]) ?? -1, size - 1)
        return end >= start ? start...end : nil
    }

    static func query(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            if let key = parts.first { values[key] = parts.count > 1 ? parts[1] : "" }
        }
        return values
    }

    static func json(_ status: HTTPResponseStatus, _ text: String, headers: [(String, String)] = []) -> Response {
        Response(status: status, headers: HTTPHeaders([("Content-Type", "application/json")] + headers), body: .bytes(Array(text.utf8)))
    }

    static func listing(_ object: [String: any Sendable], next: String?) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        var response = Response(status: .ok, headers: ["Content-Type": "application/json"], body: .bytes(Array(data)))
        if let next { response.headers.add(name: "Link", value: "<\(next)>; rel=\"next\"") }
        return response
    }

    /// The distribution spec's error body: `{"errors":[{"code","message","detail"}]}`.
    static func error(_ status: HTTPResponseStatus, _ code: String, _ message: String, detail: String? = nil, headers: [(String, String)] = []) -> Response {
        var entry: [String: String] = ["code": code, "message": message]
        if let detail { entry["detail"] = detail }
        let data = (try? JSONSerialization.data(withJSONObject: ["errors": [entry]], options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return Response(status: status, headers: HTTPHeaders([("Content-Type", "application/json")] + headers), body: .bytes(Array(data)))
    }
}
