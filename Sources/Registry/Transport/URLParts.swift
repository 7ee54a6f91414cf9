import Foundation

/// Small URL helpers; URLs here are always ones we built or a registry sent.
enum URLParts {
    /// `scheme://host[:port]` of an absolute URL: what credentials are bound to.
    static func origin(of url: String) -> String? {
        guard let schemeEnd = url.range(of: "://"), let authority = authority(of: url) else { return nil }
        return url[..<schemeEnd.lowerBound].lowercased() + "://" + authority.lowercased()
    }

    /// Whether `url` names its scheme and host, rather than a path on the registry.
    static func isAbsolute(_ url: String) -> Bool {
        url.hasPrefix("http://") || url.hasPrefix("https://")
    }

    /// `host[:port]` of an absolute URL.
    static func authority(of url: String) -> String? {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        let rest = url[schemeEnd.upperBound...]
        let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        return String(rest[..<end])
    }

    /// Resolves a Location or Link target against the URL it came from.
    static func resolve(_ location: String, against base: String) -> String? {
        if isAbsolute(location) { return location }
        guard let schemeEnd = base.range(of: "://"), let authority = authority(of: base) else { return nil }
        let origin = base[..<schemeEnd.upperBound] + authority
        if location.hasPrefix("//") { return base[..<schemeEnd.lowerBound] + ":" + location }
        if location.hasPrefix("/") { return origin + location }
        // Relative path: replace the last segment of base's path.
        let path = base.dropFirst(origin.count).split(separator: "?", maxSplits: 1).first.map(String.init) ?? "/"
        let directory = path.hasSuffix("/") ? path : String(path[...(path.lastIndex(of: "/") ?? path.startIndex)])
        return origin + directory + location
    }

    /// The URL without its query (upload URLs carry state tokens; keep logs short and clean).
    static func redacted(_ url: String) -> String {
        url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
    }

    /// Appends query parameters, percent-encoding the values.
    static func appending(_ url: String, query: [(String, String)]) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+:/?#")
        let encoded = query.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.1)" }.joined(separator: "&")
        return url + (url.contains("?") ? "&" : "?") + encoded
    }
}
