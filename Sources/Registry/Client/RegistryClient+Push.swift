import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import OCI

extension RegistryClient {
    /// HEADs a blob: whether the registry has it with the expected size.
    public func hasBlob(_ descriptor: Descriptor, repository: String) async throws -> Bool {
        let purpose = Purpose.push("blob check \(descriptor.digest.short) in \(host)/\(repository)", repository)
        let response = try await send(.HEAD, "/v2/\(repository)/blobs/\(descriptor.digest)", purpose: purpose)
        switch try await expect(response, [200, 404], purpose) {
        case 200:
            // A HEAD that names another size is a registry bug; treat the blob as missing and re-send.
            if let length = response.headers.first(name: "Content-Length").flatMap(Int64.init), length != descriptor.size {
                logger.warning("registry \(host) reports \(length) bytes for \(descriptor.digest.short), expected \(descriptor.size); uploading again")
                return false
            }
            return true
        default:
            return false
        }
    }

    /// Asks the registry to link a blob from another repository it holds. Returns false when it
    /// will not (the upload session it opened instead is cancelled).
    public func mountBlob(_ digest: Digest, from source: String, into repository: String) async throws -> Bool {
        let purpose = Purpose.push("blob mount \(digest.short) from \(source) into \(host)/\(repository)", repository, mountFrom: source)
        let url = URLParts.appending("/v2/\(repository)/blobs/uploads/", query: [("mount", digest.description), ("from", source)])
        let response = try await send(.POST, url, purpose: purpose)
        guard try await expect(response, [201, 202], purpose) == 202 else { return true }
        if let location = response.headers.first(name: "Location") {
            try await cancelUpload(location, purpose: purpose)
        }
        return false
    }

    /// Puts a blob into `repository` unless it is already there: HEAD, then a mount from
    /// `mountFrom` (a repository of the same registry known to hold it), then an upload.
    public func pushBlob(
        _ source: BlobSource,
        repository: String,
        mountFrom: [String] = [],
        mode: UploadMode? = nil
    ) async throws -> BlobPushResult {
        if try await hasBlob(source.descriptor, repository: repository) { return .alreadyPresent }
        for other in mountFrom where other != repository {
            if try await mountBlob(source.descriptor.digest, from: other, into: repository) { return .mounted }
        }
        try await uploadBlob(source, repository: repository, mode: mode)
        return .uploaded(bytes: source.descriptor.size)
    }

    /// How uploads to this registry go now: in chunks of `--chunk-size`, or of the size an
    /// earlier upload fell back to, else whole.
    public func uploadMode() async -> UploadMode {
        if let learned = await session.learnedChunk { return .chunked(learned) }
        let configured = transport.options.chunkSize.map(UploadMode.chunked) ?? .monolithic
        // Smaller chunks when the registry already refused a body that large (an upload in flight).
        guard let refused = await session.refusedBody, Int64(configured.chunkSize ?? .max) >= refused else { return configured }
        return UploadMode.below(refused) ?? configured
    }

    /// Uploads a blob (`mode`: as `uploadMode()` says). The stream is hashed as it goes and the
    /// last chunk is held back until the digest is confirmed, so the registry never completes an
    /// upload of wrong bytes; the registry then checks the same digest from `?digest=`.
    /// A body refused as too large (413, or the connection closed under it, as proxies with a body
    /// limit do) is sent again in chunks, halved until they pass (down to 1 MiB), and the size that
    /// passed is kept for every later upload to this host. A transient failure restarts the upload.
    public func uploadBlob(_ source: BlobSource, repository: String, mode: UploadMode? = nil) async throws {
        let descriptor = source.descriptor
        let purpose = Purpose.push("upload of blob \(descriptor.digest.short) to \(host)/\(repository)", repository)
        var budget = RetryBudget(transport.options.retry)
        var mode = if let mode { mode } else { await uploadMode() }
        while true {
            do {
                let location = try await startUpload(purpose: purpose, repository: repository)
                do {
                    switch mode {
                    case .monolithic:
                        try await finishUpload(location, source: source, purpose: purpose)
                    case .chunked(let size):
                        try await chunkedUpload(location, source: source, chunkSize: size, purpose: purpose)
                        await session.learn(chunk: size)
                    }
                } catch let refusal as RegistryError where Self.refusesTheBody(refusal, mode: mode, size: descriptor.size) {
                    try? await cancelUpload(location, purpose: purpose)
                    await session.learn(refused: Self.bodySize(mode, descriptor.size))
                    let halved = mode.smaller(forBlobOf: descriptor.size)
                    let known = await session.refusedBody.flatMap(UploadMode.below)
                    guard let smaller = [halved, known].compactMap({ $0 }).min(by: { ($0.chunkSize ?? .max) < ($1.chunkSize ?? .max) }) else {
                        throw RegistryError.bodyTooLarge(host: host, refused: Self.bodySize(mode, descriptor.size), cause: Self.bodyRefusal(refusal))
                    }
                    logger.info("registry \(host) refused a \(Self.bodySize(mode, descriptor.size))-byte request body (\(refusal)); sending blob \(descriptor.digest.short) in chunks of \(smaller)")
                    mode = smaller
                    continue
                }
                return
            } catch let error as RegistryError {
                guard case .unreachable = error, try await budget.backOff() != nil else { throw error }
                logger.debug("upload of \(descriptor.digest.short) failed (\(error)); starting again")
            }
        }
    }

    /// How the body was refused, in a few words: "413" with the registry's words, or the connection's fate.
    static func bodyRefusal(_ error: RegistryError) -> String {
        switch error {
        case .unexpectedStatus(let status, _, _, let detail): "it answered \(status)" + (detail.map { ", \($0)" } ?? "")
        case .unreachable(_, let reason): "the connection closed: \(reason)"
        default: "\(error)"
        }
    }

    /// The largest request body `mode` sends for a blob of `size`.
    static func bodySize(_ mode: UploadMode, _ size: Int64) -> Int64 {
        if case .chunked(let chunk) = mode { return min(Int64(chunk), size) }
        return size
    }

    /// Whether a failed upload says its request bodies are too large: a 413, or a connection that
    /// closed under a body of more than 1 MiB (what nginx and other proxies do past their limit).
    static func refusesTheBody(_ error: RegistryError, mode: UploadMode, size: Int64) -> Bool {
        switch error {
        case .unexpectedStatus(413, _, _, _): true
        case .unreachable: bodySize(mode, size) > Int64(UploadMode.smallestChunk)
        default: false
        }
    }

    /// Opens an upload session in `repository` and cancels it: whether this client may push there
    /// (a token with push scope, a project that exists, a name the registry takes) without
    /// writing anything (distribution spec: an upload that is never completed leaves nothing).
    public func probeUpload(repository: String) async throws {
        let purpose = Purpose.push("upload check of \(host)/\(repository)", repository)
        let location = try await startUpload(purpose: purpose, repository: repository)
        try await cancelUpload(location, purpose: purpose)
    }

    private func startUpload(purpose: Purpose, repository: String) async throws -> String {
        let response = try await send(.POST, "/v2/\(repository)/blobs/uploads/", purpose: purpose)
        try await expect(response, [202], purpose)
        guard let location = response.headers.first(name: "Location") else {
            throw RegistryError.protocolViolation(host: host, reason: "upload started without a Location header")
        }
        guard let absolute = URLParts.resolve(location, against: try await baseURL() + "/v2/") else {
            throw RegistryError.protocolViolation(host: host, reason: "upload Location is not a URL")
        }
        return absolute
    }

    private func finishUpload(_ location: String, source: BlobSource, purpose: Purpose) async throws {
        let descriptor = source.descriptor
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/octet-stream")
        let url = URLParts.appending(location, query: [("digest", descriptor.digest.description)])
        // Each attempt opens the source again: a re-authentication or a redirect resends every byte.
        // Transient failures are retried a level up, with a new upload session.
        let body: BodyFactory = {
            .stream(VerifyingBody(base: try await source.open(), expected: descriptor), length: .known(descriptor.size))
        }
        let response = try await send(.PUT, url, headers: headers, body: body, purpose: purpose, retry: false, streaming: true)
        try await expectCreated(response, descriptor: descriptor, purpose: purpose)
    }

    private func chunkedUpload(_ start: String, source: BlobSource, chunkSize: Int, purpose: Purpose) async throws {
        let descriptor = source.descriptor
        let hasher = DigestHasher(descriptor.digest.algorithm)
        var location = start
        var offset: Int64 = 0
        var pending = ByteBuffer()
        pending.reserveCapacity(min(chunkSize, Int(descriptor.size)))

        func flush() async throws {
            guard pending.readableBytes > 0 else { return }
            let chunk = pending
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/octet-stream")
            headers.add(name: "Content-Range", value: "\(offset)-\(offset + Int64(chunk.readableBytes) - 1)")
            headers.add(name: "Content-Length", value: "\(chunk.readableBytes)")
            let response = try await send(.PATCH, location, headers: headers, body: { .bytes(chunk) }, purpose: purpose, retry: false, streaming: true)
            try await expect(response, [202], purpose)
            if let next = response.headers.first(name: "Location"), let absolute = URLParts.resolve(next, against: location) {
                location = absolute
            }
            offset += Int64(chunk.readableBytes)
            pending.clear()
        }

        for try await var buffer in try await source.open() {
            while buffer.readableBytes > 0 {
                let take = min(buffer.readableBytes, chunkSize - pending.readableBytes)
                guard let slice = buffer.readSlice(length: take) else { break }
                slice.withUnsafeReadableBytes { hasher.update($0) }
                pending.writeImmutableBuffer(slice)
                if offset + Int64(pending.readableBytes) > descriptor.size {
                    throw RegistryError.sizeMismatch(what: "blob \(descriptor.digest)", expected: descriptor.size, actual: offset + Int64(pending.readableBytes))
                }
                // Keep the final chunk back until the digest is known to be right.
                if pending.readableBytes == chunkSize, offset + Int64(pending.readableBytes) < descriptor.size {
                    try await flush()
                }
            }
        }
        let total = offset + Int64(pending.readableBytes)
        guard total == descriptor.size else {
            throw RegistryError.sizeMismatch(what: "blob \(descriptor.digest)", expected: descriptor.size, actual: total)
        }
        let actual = try hasher.finalize()
        guard actual == descriptor.digest else {
            throw RegistryError.digestMismatch(what: "blob being uploaded", expected: descriptor.digest, actual: actual)
        }
        try await flush()
        let url = URLParts.appending(location, query: [("digest", descriptor.digest.description)])
        var headers = HTTPHeaders()
        headers.add(name: "Content-Length", value: "0")
        let response = try await send(.PUT, url, headers: headers, purpose: purpose, retry: false)
        try await expectCreated(response, descriptor: descriptor, purpose: purpose)
    }

    private func expectCreated(_ response: HTTPClientResponse, descriptor: Descriptor, purpose: Purpose) async throws {
        try await expect(response, [201, 204], purpose)
        if let header = response.headers.first(name: "Docker-Content-Digest"),
           let digest = try? Digest(parsing: header), digest != descriptor.digest {
            throw RegistryError.digestMismatch(what: "blob stored by \(host)", expected: descriptor.digest, actual: digest)
        }
    }

    /// Best effort: an upload session left open expires on the registry's side. A refusal to
    /// cancel is logged; a 401 and cancellation still end the operation.
    private func cancelUpload(_ location: String, purpose: Purpose) async throws {
        guard let absolute = URLParts.resolve(location, against: try await baseURL() + "/v2/") else { return }
        do {
            let response = try await send(.DELETE, absolute, purpose: purpose, retry: false)
            await Self.discard(response)
        } catch let error as RegistryError {
            if case .unauthorized = error { throw error }
            logger.debug("cancelling upload \(URLParts.redacted(absolute)) failed: \(error)")
        }
    }

    /// PUTs a manifest's exact bytes under `reference` (a tag, or its digest). Returns the
    /// `OCI-Subject` the registry answered: it indexed the manifest's subject (Referrers API).
    @discardableResult
    public func putManifest(_ document: ManifestDocument, repository: String, reference: String) async throws -> Digest? {
        let purpose = Purpose.push("manifest \(Reference.spelled("\(host)/\(repository)", identifier: reference))", repository)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: document.mediaType)
        let bytes = ByteBuffer(bytes: document.bytes)
        let response = try await send(.PUT, "/v2/\(repository)/manifests/\(reference)", headers: headers, body: { .bytes(bytes) }, purpose: purpose)
        try await expect(response, [200, 201, 204], purpose)
        if let header = response.headers.first(name: "Docker-Content-Digest"),
           let digest = try? Digest(parsing: header), digest != document.digest {
            throw RegistryError.digestMismatch(what: "manifest stored by \(host)", expected: document.digest, actual: digest)
        }
        return response.headers.first(name: "OCI-Subject").flatMap { try? Digest(parsing: $0) }
    }
}
