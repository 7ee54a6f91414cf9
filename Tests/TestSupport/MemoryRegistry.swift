import Foundation
import NIOConcurrencyHelpers
import NIOHTTP1
import OCI

/// A small in-memory OCI registry with the Referrers API (distribution-spec 1.1), served by
/// FakeRegistry: distribution 2.8 has no Referrers API, so that path is tested here. A manifest
/// PUT with a `subject` answers `OCI-Subject`; `GET /v2/<name>/referrers/<digest>` lists them,
/// honouring `artifactType` (and saying so in `OCI-Filters-Applied`).
public final class MemoryRegistry: Sendable {
    struct Stored: Sendable {
        let bytes: [UInt8]
        let mediaType: String
    }

    struct State: Sendable {
        var blobs: [String: [UInt8]] = [:]
        var uploads: [String: [UInt8]] = [:]
        /// repository → reference (tag or digest) → manifest
        var manifests: [String: [String: Stored]] = [:]
        /// repository → subject → referrer descriptors (JSON objects)
        var referrers: [String: [String: [[UInt8]]]] = [:]
        var nextUpload = 0
    }

    private let state = NIOLockedValueBox(State())
    public let server: FakeRegistry
    public var host: String { server.host }

    public static func start() async throws -> MemoryRegistry {
        let box = NIOLockedValueBox<MemoryRegistry?>(nil)
        let server = try await FakeRegistry.start { request in
            box.withLockedValue { $0 }?.handle(request) ?? FakeResponse(.serviceUnavailable)
        }
        let registry = MemoryRegistry(server: server)
        box.withLockedValue { $0 = registry }
        return registry
    }

    private init(server: FakeRegistry) {
        self.server = server
    }

    public func stop() async { await server.stop() }

    /// The manifest bytes under `reference` (tag or digest), if any.
    public func manifest(_ repository: String, _ reference: String) -> [UInt8]? {
        state.withLockedValue { $0.manifests[repository]?[reference]?.bytes }
    }

    public func tags(_ repository: String) -> [String] {
        state.withLockedValue { ($0.manifests[repository] ?? [:]).keys.filter { !$0.hasPrefix("sha256:") }.sorted() }
    }

    static func digest(_ bytes: [UInt8]) -> String { "sha256:" + sha256Hex(bytes) }

    func handle(_ request: FakeRequest) -> FakeResponse {
        let path = request.path
        guard path.hasPrefix("/v2/") else { return FakeResponse(.notFound) }
        if path == "/v2/" || path == "/v2" { return .json(.ok, "{}") }
        let rest = String(path.dropFirst(4))
        let query = Self.query(request.uri)
        return state.withLockedValue { state in
            if let range = rest.range(of: "/blobs/uploads/") {
                return upload(&state, repository: String(rest[..<range.lowerBound]), id: String(rest[range.upperBound...]), request: request, query: query)
            }
            if let range = rest.range(of: "/blobs/") {
                guard let bytes = state.blobs[String(rest[range.upperBound...])] else { return .json(.notFound, #"{"errors":[{"code":"BLOB_UNKNOWN"}]}"#) }
                return FakeResponse(.ok, headers: [("Content-Length", "\(bytes.count)"), ("Docker-Content-Digest", Self.digest(bytes))], body: bytes)
            }
            if let range = rest.range(of: "/manifests/") {
                return manifests(&state, repository: String(rest[..<range.lowerBound]), reference: String(rest[range.upperBound...]), request: request)
            }
            if let range = rest.range(of: "/referrers/") {
                let repository = String(rest[..<range.lowerBound]), subject = String(rest[range.upperBound...])
                var entries = (state.referrers[repository]?[subject] ?? []).compactMap { (try? JSONSerialization.jsonObject(with: Data($0))) as? [String: Any] }
                var headers = [("Content-Type", "application/vnd.oci.image.index.v1+json")]
                if let type = query["artifactType"] {
                    entries = entries.filter { $0["artifactType"] as? String == type }
                    headers.append(("OCI-Filters-Applied", "artifactType"))
                }
                let object: [String: Any] = ["schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries]
                let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
                return FakeResponse(.ok, headers: headers, body: Array(body))
            }
            if rest.hasSuffix("/tags/list") {
                let repository = String(rest.dropLast("/tags/list".count))
                let tags = (state.manifests[repository] ?? [:]).keys.filter { !$0.hasPrefix("sha256:") }.sorted()
                let body = (try? JSONSerialization.data(withJSONObject: ["name": repository, "tags": tags])) ?? Data()
                return FakeResponse(.ok, headers: [("Content-Type", "application/json")], body: Array(body))
            }
            return FakeResponse(.notFound)
        }
    }

    private func upload(_ state: inout State, repository: String, id: String, request: FakeRequest, query: [String: String]) -> FakeResponse {
        switch request.method {
        case .POST:
            state.nextUpload += 1
            let id = "u\(state.nextUpload)"
            state.uploads[id] = []
            if let digest = query["digest"] {
                return finish(&state, repository: repository, id: id, bytes: request.body, digest: digest)
            }
            return FakeResponse(.accepted, headers: [("Location", "/v2/\(repository)/blobs/uploads/\(id)"), ("Range", "0-0")])
        case .PATCH:
            state.uploads[id, default: []] += request.body
            let count = state.uploads[id]?.count ?? 0
            return FakeResponse(.accepted, headers: [("Location", "/v2/\(repository)/blobs/uploads/\(id)"), ("Range", "0-\(max(0, count - 1))")])
        case .PUT:
            return finish(&state, repository: repository, id: id, bytes: (state.uploads[id] ?? []) + request.body, digest: query["digest"] ?? "")
        default:
            return FakeResponse(.methodNotAllowed)
        }
    }

    private func finish(_ state: inout State, repository: String, id: String, bytes: [UInt8], digest: String) -> FakeResponse {
        state.uploads[id] = nil
        guard Self.digest(bytes) == digest else { return .json(.badRequest, #"{"errors":[{"code":"DIGEST_INVALID"}]}"#) }
        state.blobs[digest] = bytes
        return FakeResponse(.created, headers: [("Location", "/v2/\(repository)/blobs/\(digest)"), ("Docker-Content-Digest", digest)])
    }

    private func manifests(_ state: inout State, repository: String, reference: String, request: FakeRequest) -> FakeResponse {
        switch request.method {
        case .GET, .HEAD:
            guard let stored = state.manifests[repository]?[reference] else {
                return .json(.notFound, #"{"errors":[{"code":"MANIFEST_UNKNOWN"}]}"#)
            }
            return FakeResponse(.ok, headers: [("Content-Type", stored.mediaType), ("Content-Length", "\(stored.bytes.count)"),
                                               ("Docker-Content-Digest", Self.digest(stored.bytes))], body: stored.bytes)
        case .PUT:
            let bytes = request.body
            let digest = Self.digest(bytes)
            let type = request.headers.first(name: "Content-Type") ?? "application/vnd.oci.image.manifest.v1+json"
            let stored = Stored(bytes: bytes, mediaType: type)
            state.manifests[repository, default: [:]][digest] = stored
            if !reference.hasPrefix("sha256:") { state.manifests[repository, default: [:]][reference] = stored }
            var headers = [("Docker-Content-Digest", digest), ("Location", "/v2/\(repository)/manifests/\(digest)")]
            if let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any],
               let subject = (object["subject"] as? [String: Any])?["digest"] as? String {
                var entry: [String: Any] = ["mediaType": type, "digest": digest, "size": bytes.count]
                let config = (object["config"] as? [String: Any])?["mediaType"] as? String
                if let type = object["artifactType"] as? String ?? config { entry["artifactType"] = type }
                if let annotations = object["annotations"] { entry["annotations"] = annotations }
                let encoded = Array((try? JSONSerialization.data(withJSONObject: entry, options: [.sortedKeys])) ?? Data())
                var list = state.referrers[repository, default: [:]][subject] ?? []
                if !list.contains(encoded) { list.append(encoded) }
                state.referrers[repository, default: [:]][subject] = list
                headers.append(("OCI-Subject", subject))
            }
            return FakeResponse(.created, headers: headers)
        default:
            return FakeResponse(.methodNotAllowed)
        }
    }

    static func query(_ uri: String) -> [String: String] {
        guard let mark = uri.firstIndex(of: "?") else { return [:] }
        var result: [String: String] = [:]
        for pair in uri[uri.index(after: mark)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            result[parts[0]] = parts.count > 1 ? (parts[1].removingPercentEncoding ?? parts[1]) : ""
        }
        return result
    }
}
