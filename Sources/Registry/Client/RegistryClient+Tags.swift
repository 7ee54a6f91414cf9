import Foundation
import NIOHTTP1

extension RegistryClient {
    /// Every tag of `repository`, following `Link: <…>; rel="next"` pagination.
    /// `pageSize` sets `n`; nil lets the registry choose.
    public func tags(repository: String, pageSize: Int? = nil) async throws -> [String] {
        struct Page: Decodable {
            let tags: [String]?
        }
        let purpose = Purpose.pull("tag list of \(host)/\(repository)", repository)
        let origin = try await baseURL()
        var next: String? = origin + "/v2/\(repository)/tags/list" + (pageSize.map { "?n=\($0)" } ?? "")
        var tags: [String] = []
        var seen: Set<String> = []
        while let url = next {
            guard seen.insert(url).inserted, seen.count <= 100_000 else {
                throw RegistryError.protocolViolation(host: host, reason: "tag list pagination loops at \(URLParts.redacted(url))")
            }
            let response = try await send(.GET, url, purpose: purpose)
            try await expect(response, [200], purpose, notFound: "repository \(repository)", body: .keep)
            let bytes = try await Self.collect(response, limit: 16 << 20, what: "tag list of \(repository)", host: host)
            guard let page = try? JSONDecoderFactory.decode(Page.self, from: bytes) else {
                throw RegistryError.protocolViolation(host: host, reason: "the tag list of \(repository) is not valid JSON")
            }
            tags.append(contentsOf: page.tags ?? [])
            next = try nextPage(response.headers, after: url, origin: origin, what: "tag list")
        }
        return tags
    }

    /// The absolute URL of the next page a `Link: <…>; rel="next"` header names, on the same host.
    func nextPage(_ headers: HTTPHeaders, after url: String, origin: String, what: String) throws -> String? {
        guard let link = headers["Link"].lazy.compactMap(Self.nextLink).first else { return nil }
        guard let absolute = URLParts.resolve(link, against: url), URLParts.authority(of: absolute) == URLParts.authority(of: origin) else {
            throw RegistryError.protocolViolation(host: host, reason: "\(what) pagination points to another host")
        }
        return absolute
    }

    /// Extracts the target of `<url>; rel="next"` from one Link header value.
    static func nextLink(_ header: String) -> String? {
        for part in header.split(separator: ",") {
            let fields = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let target = fields.first, target.hasPrefix("<"), target.hasSuffix(">") else { continue }
            let isNext = fields.dropFirst().contains { field in
                let compact = field.replacingOccurrences(of: " ", with: "").lowercased()
                return compact == "rel=\"next\"" || compact == "rel=next"
            }
            if isNext { return String(target.dropFirst().dropLast()) }
        }
        return nil
    }
}