/// The one split rule of reference text: `[registry/]path[:tag][@digest]` into its parts and
/// `host[:port]` into host and port. These split without validating; `Reference(parsing:)`
/// splits with them and then validates every part.
extension Reference {
    /// `name[:tag][@digest]` → its three parts; a colon followed by a '/' is a port, not a tag.
    public static func split<Text: StringProtocol>(_ text: Text) -> (name: Text.SubSequence, tag: Text.SubSequence?, digest: Text.SubSequence?) {
        let (rest, digest) = splitDigest(text)
        let (name, tag) = splitTag(rest)
        return (name, tag, digest)
    }

    /// `text@digest` → (`text`, `digest`) at the first '@'; nil digest without one.
    public static func splitDigest<Text: StringProtocol>(_ text: Text) -> (name: Text.SubSequence, digest: Text.SubSequence?) {
        guard let at = text.firstIndex(of: "@") else { return (text[...], nil) }
        return (text[..<at], text[text.index(after: at)...])
    }

    /// `name:tag` → (`name`, `tag`) at the last ':' when no '/' follows it (`host:5000/app` has no tag).
    public static func splitTag<Text: StringProtocol>(_ name: Text) -> (name: Text.SubSequence, tag: Text.SubSequence?) {
        guard let colon = name.lastIndex(of: ":"), !name[colon...].contains("/") else { return (name[...], nil) }
        return (name[..<colon], name[name.index(after: colon)...])
    }

    /// `registry/path` → (`registry`, `path`) at the first '/', for names whose first component is
    /// known to be the registry (a `Reference.name`, a bundle image's source); nil path without a '/'.
    /// User text goes through `splitName`, which applies Docker's rule (`isRegistryHost`).
    public static func splitRegistry<Text: StringProtocol>(_ name: Text) -> (registry: Text.SubSequence, path: Text.SubSequence?) {
        guard let slash = name.firstIndex(of: "/") else { return (name[...], nil) }
        return (name[..<slash], name[name.index(after: slash)...])
    }

    /// Docker's rule for the first component of a name: a registry host when it has a '.', a ':'
    /// or a capital letter, or is `localhost`; otherwise it is the first part of a Docker Hub path.
    public static func isRegistryHost<Text: StringProtocol>(_ component: Text) -> Bool {
        component.contains(".") || component.contains(":") || component == "localhost" || component.contains(where: \.isUppercase)
    }

    /// `host:port` → (`host`, `port`) at the last ':', unless the host ends with ']' (an IPv6
    /// literal without a port): `[::1]:5000` → (`[::1]`, `5000`), `[::1]` → (`[::1]`, nil).
    /// The host keeps its brackets, as URLs and hosts.toml write it; `unbracketed` drops them.
    public static func splitPort<Text: StringProtocol>(_ host: Text) -> (host: Text.SubSequence, port: Text.SubSequence?) {
        guard let colon = host.lastIndex(of: ":"), !host.hasSuffix("]") else { return (host[...], nil) }
        return (host[..<colon], host[host.index(after: colon)...])
    }

    /// `[::1]` → `::1`: an IPv6 literal without its brackets; any other host as it is.
    public static func unbracketed<Text: StringProtocol>(_ host: Text) -> Text.SubSequence {
        guard host.hasPrefix("["), host.hasSuffix("]") else { return host[...] }
        return host.dropFirst().dropLast()
    }

    /// Docker Hub's other names (`docker.io`, `registry-1.docker.io`) as `index.docker.io`; any
    /// other host as it is.
    public static func canonicalRegistry(_ host: String) -> String {
        host == "docker.io" || host == "registry-1.docker.io" ? dockerHub : host
    }

    /// Splits `host[:port]/path` into registry and repository, applying Docker Hub defaults.
    public static func splitName(_ name: Substring, in text: String) throws(OCIError) -> (String, String) {
        var registry = dockerHub
        var path = name
        if case let (first, rest?) = splitRegistry(name), isRegistryHost(first) {
            registry = String(first)
            path = rest
        }
        registry = canonicalRegistry(registry)
        try validateRegistry(registry, in: text)
        var repository = String(path)
        if registry == dockerHub, !repository.contains("/") { repository = "library/" + repository }
        try validateRepository(repository, in: text)
        guard registry.utf8.count + 1 + repository.utf8.count <= 255 else {
            throw OCIError.invalidReference(text, reason: "the name is longer than 255 characters")
        }
        return (registry, repository)
    }
}
