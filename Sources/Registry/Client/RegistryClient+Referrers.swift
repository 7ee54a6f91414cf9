import Foundation
import NIOHTTP1
import OCI

extension RegistryClient {
    /// The manifests whose `subject` is `subject`, from the Referrers API
    /// (distribution-spec 1.1, "Listing Referrers"), following `Link` pagination.
    /// Returns nil when the registry has no Referrers API (a 404 other than NAME_UNKNOWN), so the
    /// caller falls back to the referrers tag schema. `artifactType` is sent as the filter; the
    /// result is filtered here too, since a registry may ignore it (no `OCI-Filters-Applied`).
    public func referrers(repository: String, subject: Digest, artifactType: String? = nil) async throws -> [Descriptor]? {
        let purpose = Purpose.pull("referrers of \(Reference.spelled("\(host)/\(repository)", tag: nil, digest: subject))", repository)
        let origin = try await baseURL()
        let query = artifactType.map { [("artifactType", $0)] } ?? []
        let path = origin + "/v2/\(repository)/referrers/\(subject)"
        var next: String? = query.isEmpty ? path : URLParts.appending(path, query: query)
        var found: [Descriptor] = []
        var seen: Set<String> = []
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: MediaType.ociIndex)
        while let url = next {
            guard seen.insert(url).inserted, seen.count <= 1000 else {
                throw RegistryError.protocolViolation(host: host, reason: "referrers pagination loops at \(URLParts.redacted(url))")
            }
            let response = try await send(.GET, url, headers: headers, purpose: purpose)
            // Any other status becomes its error here, its body read once.
            switch try await expect(response, [200, 404, 405, 501], purpose, body: .keep) {
            case 200:
                break
            case 404:
                let body = try await Self.collect(response, limit: 65536, what: "referrers error of \(repository)", host: host, options: transport.options)
                let codes = (try? JSONDecoderFactory.decode(RegistryErrorBody.self, from: body))?.errors?.compactMap(\.code) ?? []
                guard codes.contains("NAME_UNKNOWN") else { return nil }
                throw RegistryError.notFound(what: "repository \(repository)", host: host, detail: RegistryErrorBody.summary(body))
            default:  // 405, 501: no Referrers API here
                await Self.discard(response)
                return nil
            }
            let declared = response.headers.first(name: "Content-Type") ?? MediaType.ociIndex
            let bytes = try await Self.collect(response, limit: ManifestDocument.maximumSize, what: "referrers of \(Reference.spelled(repository, tag: nil, digest: subject))", host: host, options: transport.options)
            // A 200 that is not an index is a registry without the API behind a catch-all route.
            guard declared.hasPrefix(MediaType.ociIndex) || declared.hasPrefix("application/json"),
                  let page = try? ManifestDocument(bytes: bytes, declaredType: MediaType.ociIndex),
                  case .index(let index) = page.content
            else { return nil }
            let filtered = response.headers["OCI-Filters-Applied"].contains { $0.contains("artifactType") }
            found += index.manifests.filter { filtered || artifactType == nil || $0.artifactType == artifactType }
            next = try nextPage(response.headers, after: url, origin: origin, what: "referrers")
        }
        return found
    }
}
