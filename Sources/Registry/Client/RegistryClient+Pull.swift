import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import OCI

extension RegistryClient {
    /// GETs a manifest or index by tag or digest, keeping the exact bytes.
    /// A digest reference is checked against the bytes; a tag is checked against `Docker-Content-Digest`.
    public func manifest(repository: String, reference: String) async throws -> ManifestDocument {
        let purpose = Purpose.pull("manifest \(Reference.spelled("\(host)/\(repository)", identifier: reference))", repository)
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: MediaType.manifestTypes.joined(separator: ", "))
        let response = try await send(.GET, "/v2/\(repository)/manifests/\(reference)", headers: headers, purpose: purpose)
        try await expect(response, [200], purpose, notFound: "manifest \(Reference.spelled(repository, identifier: reference))", body: .keep)
        let bytes = try await Self.collect(response, limit: ManifestDocument.maximumSize, what: "manifest \(Reference.spelled(repository, identifier: reference))", host: host, options: transport.options)
        let document: ManifestDocument
        do {
            document = try ManifestDocument(bytes: bytes, declaredType: response.headers.first(name: "Content-Type"))
        } catch {
            throw RegistryError.protocolViolation(host: host, reason: "manifest \(Reference.spelled(repository, identifier: reference)): \(error.description)")
        }
        let what = "manifest \(Reference.spelled("\(host)/\(repository)", identifier: reference))"
        if let expected = try? Digest(parsing: reference) {
            let actual = expected.algorithm == .sha256 ? document.digest : try Digest.of(bytes, algorithm: expected.algorithm)
            guard actual == expected else { throw RegistryError.digestMismatch(what: what, expected: expected, actual: actual) }
        } else if let header = response.headers.first(name: "Docker-Content-Digest"),
                  let claimed = try? Digest(parsing: header), claimed.algorithm == .sha256, claimed != document.digest {
            throw RegistryError.digestMismatch(what: what, expected: claimed, actual: document.digest)
        }
        return document
    }

    /// HEADs a manifest: its descriptor, or nil when the registry does not have it.
    public func manifestDescriptor(repository: String, reference: String) async throws -> Descriptor? {
        let purpose = Purpose.pull("manifest \(Reference.spelled("\(host)/\(repository)", identifier: reference))", repository)
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: MediaType.manifestTypes.joined(separator: ", "))
        let response = try await send(.HEAD, "/v2/\(repository)/manifests/\(reference)", headers: headers, purpose: purpose)
        switch try await expect(response, [200, 404], purpose) {
        case 200:
            guard let digestText = response.headers.first(name: "Docker-Content-Digest"),
                  let digest = try? Digest(parsing: digestText),
                  let size = response.headers.first(name: "Content-Length").flatMap(Int64.init),
                  let type = response.headers.first(name: "Content-Type")
            else {
                // Some registries omit the digest on HEAD: fall back to a GET.
                let document = try await manifest(repository: repository, reference: reference)
                return document.descriptor()
            }
            return Descriptor(mediaType: type, digest: digest, size: size)
        default:
            return nil
        }
    }

    /// Streams a blob into `consume`, hashing as it goes; throws on a size or digest mismatch
    /// after the last byte, so the caller must not commit what it received until this returns.
    /// A connection that breaks mid-body is resumed with a Range request.
    public func blob(
        _ descriptor: Descriptor,
        repository: String,
        into consume: (ByteBuffer) async throws -> Void
    ) async throws {
        let purpose = Purpose.pull("blob \(descriptor.digest.short) of \(host)/\(repository)", repository)
        let hasher = DigestHasher(descriptor.digest.algorithm)
        var received: Int64 = 0
        var budget = RetryBudget(transport.options.retry)
        let what = "blob \(descriptor.digest) of \(host)/\(repository)"
        while true {
            var headers = HTTPHeaders()
            if received > 0 { headers.add(name: "Range", value: "bytes=\(received)-") }
            let response = try await send(.GET, "/v2/\(repository)/blobs/\(descriptor.digest)", headers: headers, purpose: purpose)
            // A 206 only answers a Range request; 200 means no range support: drop what we already have.
            let status = try await expect(response, received > 0 ? [200, 206] : [200], purpose, notFound: what, body: .keep)
            var skip: Int64 = status == 200 ? received : 0
            var pace = BodyPace(transport.options)
            // Broken, too slow, or ended early: all resumed from where the body got to, within one budget.
            let broke: (reason: String, error: any Error)?
            do {
                for try await var chunk in response.body {
                    try pace.record(chunk.readableBytes)
                    if skip > 0 {
                        let drop = Int(min(skip, Int64(chunk.readableBytes)))
                        chunk.moveReaderIndex(forwardBy: drop)
                        skip -= Int64(drop)
                        if chunk.readableBytes == 0 { continue }
                    }
                    guard received + Int64(chunk.readableBytes) <= descriptor.size else {
                        throw RegistryError.sizeMismatch(what: what, expected: descriptor.size, actual: received + Int64(chunk.readableBytes))
                    }
                    chunk.withUnsafeReadableBytes { hasher.update($0) }
                    received += Int64(chunk.readableBytes)
                    try await consume(chunk)
                }
                broke = received < descriptor.size
                    ? ("the body ended early", RegistryError.sizeMismatch(what: what, expected: descriptor.size, actual: received)) : nil
            } catch let slow as BodyPace.Stalled {
                broke = (slow.reason, RegistryError.unreachable(host: host, reason: slow.reason))
            } catch let error as any DomainError {
                throw error
            } catch {
                let failure = TransportFailure.classify(error, host: host)
                guard failure.isRetryable else { throw failure.error }
                broke = (failure.reason, failure.error)
            }
            guard let broke else { break }
            guard try await budget.backOff() != nil else { throw broke.error }
            logger.debug("blob \(descriptor.digest.short) broke at \(received) bytes (\(broke.reason)); resuming")
        }
        let actual = try hasher.finalize()
        guard actual == descriptor.digest else {
            throw RegistryError.digestMismatch(what: what, expected: descriptor.digest, actual: actual)
        }
    }
}
