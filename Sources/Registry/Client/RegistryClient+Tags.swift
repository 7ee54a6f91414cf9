import Foundation
import NIOHTTP1

extension RegistryClient {
    /// How much of a tag list is read before it is called endless: a registry that always offers
    /// another page (or one huge page) is stopped here, not followed until memory runs out.
    public struct TagListLimits: Sendable {
        public var pages = 10_000
        public var tags = 2_000_000
        public var bytes = 256 << 20
        public init() {}
    }

    /// Every tag of `repository`, following `Link: <…>; rel="next"` pagination.
    /// `pageSize` sets `n`; nil lets the registry choose.
    public func tags(repository: String, pageSize: Int? = nil, limits: TagListLimits = .init()) async throws -> [String] {
        try await tags(repository: repository, pageSize: pageSize, limits: limits, keeping: { _ in true }).kept
    }

    /// The tags of `repository` that `keep` accepts, page by page (the others are never held),
    /// and how many tags the registry listed in all. Stops with a sentence when the list passes
    /// `limits` in pages, tags or bytes, or a page repeats.
    public func tags(
        repository: String, pageSize: Int? = nil, limits: TagListLimits = .init(), keeping keep: (String) -> Bool
    ) async throws -> (kept: [String], listed: Int) {
        struct Page: Decodable {
            let tags: [String]?
        }
        let purpose = Purpose.pull("tag list of \(host)/\(repository)", repository)
        let origin = try await baseURL()
        var next: String? = origin + "/v2/\(repository)/tags/list" + (pageSize.map { "?n=\($0)" } ?? "")
        var kept: [String] = []
        var listed = 0, bytesRead = 0
        var seen: Set<String> = []
        while let url = next {
            guard seen.insert(url).inserted else {
                throw RegistryError.protocolViolation(host: host, reason: "tag list pagination loops at \(URLParts.redacted(url))")
            }
            guard seen.count <= limits.pages else { throw endless(repository, "\(limits.pages) pages") }
            let response = try await send(.GET, url, purpose: purpose)
            try await expect(response, [200], purpose, notFound: "repository \(repository)", body: .keep)
            let bytes = try await Self.collect(response, limit: 16 << 20, what: "tag list of \(repository)", host: host, options: transport.options)
            bytesRead += bytes.count
            guard bytesRead <= limits.bytes else { throw endless(repository, "\(limits.bytes) bytes") }
            guard let page = try? JSONDecoderFactory.decode(Page.self, from: bytes) else {
                throw RegistryError.protocolViolation(host: host, reason: "the tag list of \(repository) is not valid JSON")
            }
            listed += page.tags?.count ?? 0
            guard listed <= limits.tags else { throw endless(repository, "\(limits.tags) tags") }
            kept += (page.tags ?? []).filter(keep)
            next = try nextPage(response.headers, after: url, origin: origin, what: "tag list")
        }
        return (kept, listed)
    }

    /// The refusal of a tag list past its limits.
    private func endless(_ repository: String, _ limit: String) -> RegistryError {
        .protocolViolation(host: host, reason: "the tag list of \(repository) goes on past \(limit); airlock stops there (is the registry paginating without end?)")
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