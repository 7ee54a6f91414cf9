/// An image reference `[registry/]repository[:tag][@digest]`, normalised like docker and
/// go-containerregistry: no registry means Docker Hub (`index.docker.io`), and a one-part Hub
/// name gains `library/`.
/// Grammar: https://github.com/distribution/reference/blob/main/reference.go
public struct Reference: Sendable, Hashable, CustomStringConvertible {
    public static let dockerHub = "index.docker.io"

    /// Host and optional port, e.g. `registry.example.com:5000`.
    public let registry: String
    /// Path inside the registry, e.g. `acme/runtime`.
    public let repository: String
    public let tag: String?
    public let digest: Digest?

    public init(registry: String, repository: String, tag: String? = nil, digest: Digest? = nil) throws(OCIError) {
        let text = "\(registry)/\(repository)"
        try Self.validateRegistry(registry, in: text)
        try Self.validateRepository(repository, in: text)
        if let tag { try Self.validateTag(tag, in: text) }
        self.registry = registry
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    public init(parsing given: String) throws(OCIError) {
        let text = try Self.withoutTransport(given)
        guard !text.isEmpty else { throw OCIError.invalidReference(text, reason: "it is empty") }
        let (rest, tagText, digestText) = Self.split(text)
        var digest: Digest?
        if let digestText {
            do {
                digest = try Digest(parsing: String(digestText))
            } catch {
                throw OCIError.invalidReference(text, reason: "the part after '@' is not a valid digest")
            }
        }
        let tag = tagText.map(String.init)
        let (registry, repository) = try Self.splitName(rest, in: text)
        if let tag { try Self.validateTag(tag, in: text) }
        self.registry = registry
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    /// `registry/repository`, without tag or digest.
    public var name: String { "\(registry)/\(repository)" }

    /// The tag or digest to ask the registry for: the digest when both are given (it is exact).
    public var identifier: String? { digest?.description ?? tag }

    public var description: String { Self.spelled(name, tag: tag, digest: digest) }

    /// `name:tag`, `name@digest` or `name:tag@digest`: the one spelling of a tag and a digest
    /// after a name (a digest never follows a colon).
    public static func spelled(_ name: String, tag: String?, digest: Digest?) -> String {
        var text = name
        if let tag { text += ":\(tag)" }
        if let digest { text += "@\(digest)" }
        return text
    }

    /// `name:tag` or `name@digest` for an identifier that is either, as a registry URL takes it.
    public static func spelled(_ name: String, identifier: String) -> String {
        identifier.contains(":") ? "\(name)@\(identifier)" : "\(name):\(identifier)"
    }

    /// `name:tag`, or `name@digest` when there is no tag: how a user names one image.
    public static func spelled(_ name: String, tagOr digest: Digest, tag: String?) -> String {
        spelled(name, tag: tag, digest: tag == nil ? digest : nil)
    }

    public func with(tag: String? = nil, digest: Digest? = nil) -> Reference {
        Reference(checked: registry, repository: repository, tag: tag, digest: digest)
    }

    /// The same repository on another registry or under another path (already validated parts).
    public func moved(registry: String, repository: String) throws(OCIError) -> Reference {
        try Reference(registry: registry, repository: repository, tag: tag, digest: digest)
    }

    private init(checked registry: String, repository: String, tag: String?, digest: Digest?) {
        self.registry = registry
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    /// skopeo's and crane's `docker://` prefix, dropped; their other transports and URL schemes
    /// refused with what airlock takes instead. airlock reads registries only.
    public static func withoutTransport(_ text: String) throws(OCIError) -> String {
        if text.hasPrefix("docker://") { return String(text.dropFirst("docker://".count)) }
        if text.hasPrefix("http://") || text.hasPrefix("https://") {
            throw OCIError.invalidReference(text, reason: "drop the URL scheme: airlock takes REGISTRY/REPOSITORY[:TAG] or docker://REGISTRY/REPOSITORY[:TAG] (plain HTTP is chosen with --plain-http)")
        }
        if let transport = skopeoTransport(of: text) {
            throw OCIError.invalidReference(text, reason: "airlock reads images from registries only, as REGISTRY/REPOSITORY[:TAG] or docker://REGISTRY/REPOSITORY[:TAG]; '\(transport)' is a skopeo transport it does not read")
        }
        return text
    }

    /// skopeo's transports other than `docker://` (`oci:`, `dir:`, …) that `text` starts with.
    public static func skopeoTransport(of text: String) -> String? {
        ["oci:", "oci-archive:", "docker-archive:", "docker-daemon:", "dir:", "containers-storage:", "ostree:", "sif:", "tarball:"]
            .first { text.hasPrefix($0) }
    }

    static func validateRegistry(_ registry: String, in text: String) throws(OCIError) {
        var host = Substring(registry)
        if host.hasPrefix("[") {
            // IPv6 literal: [addr] or [addr]:port
            guard let close = host.firstIndex(of: "]") else {
                throw OCIError.invalidReference(text, reason: "unterminated IPv6 address in '\(registry)'")
            }
            let address = host[host.index(after: host.startIndex)..<close]
            guard !address.isEmpty, address.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw OCIError.invalidReference(text, reason: "'\(registry)' is not a valid IPv6 address")
            }
            host = host[host.index(after: close)...]
            if host.isEmpty { return }
            guard host.first == ":" else {
                throw OCIError.invalidReference(text, reason: "unexpected text after the IPv6 address in '\(registry)'")
            }
            try validatePort(host.dropFirst(), registry: registry, in: text)
            return
        }
        if let colon = host.firstIndex(of: ":") {
            try validatePort(host[host.index(after: colon)...], registry: registry, in: text)
            host = host[..<colon]
        }
        let components = host.split(separator: ".", omittingEmptySubsequences: false)
        for component in components {
            guard !component.isEmpty,
                  component.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }),
                  component.first != "-", component.last != "-"
            else {
                throw OCIError.invalidReference(text, reason: "'\(registry)' is not a valid registry host")
            }
        }
    }

    private static func validatePort(_ port: Substring, registry: String, in text: String) throws(OCIError) {
        guard let number = Int(port), (1...65535).contains(number), port.allSatisfy(\.isNumber) else {
            throw OCIError.invalidReference(text, reason: "'\(port)' is not a valid port in '\(registry)'")
        }
    }

    static func validateRepository(_ repository: String, in text: String) throws(OCIError) {
        guard !repository.isEmpty else { throw OCIError.invalidReference(text, reason: "the repository name is empty") }
        if repository.contains(where: \.isUppercase) {
            throw OCIError.invalidReference(text, reason: "repository names must be lower-case ('\(repository)' has upper-case letters; try '\(repository.lowercased())')")
        }
        if let bad = repository.unicodeScalars.first(where: { !($0.isASCII && ($0.properties.isLowercase || ("0"..."9").contains($0) || "._-/".unicodeScalars.contains($0))) }) {
            throw OCIError.invalidReference(text, reason: "\(describe(bad)) is not allowed in a repository name (lower-case letters, digits, '.', '_', '-' and '/' only)")
        }
        for component in repository.split(separator: "/", omittingEmptySubsequences: false) {
            guard isPathComponent(component) else {
                throw OCIError.invalidReference(
                    text, reason: "'\(component)' is not a valid path component (lower-case letters, digits, and '.', '_', '__' or '-' between them)")
            }
        }
    }

    /// A character as a message shows it: quoted, or by code point when it would not print.
    public static func describe(_ scalar: Unicode.Scalar) -> String {
        if scalar == " " { return "a space" }
        if scalar.properties.generalCategory == .control || scalar.properties.isWhitespace {
            return "the character U+\(String(scalar.value, radix: 16, uppercase: true))"
        }
        return "'\(scalar)'"
    }

    /// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
    static func isPathComponent(_ component: Substring) -> Bool {
        let bytes = Array(component.utf8)
        func isAlnum(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) }
        guard let first = bytes.first, let last = bytes.last, isAlnum(first), isAlnum(last) else { return false }
        var i = 0
        while i < bytes.count {
            if isAlnum(bytes[i]) { i += 1; continue }
            // A separator run: '.', '_', '__', or one or more '-'.
            var j = i
            while j < bytes.count, !isAlnum(bytes[j]) { j += 1 }
            let separator = bytes[i..<j]
            let valid = separator.elementsEqual([0x2e]) || separator.elementsEqual([0x5f]) || separator.elementsEqual([0x5f, 0x5f])
                || separator.allSatisfy { $0 == 0x2d }
            guard valid else { return false }
            i = j
        }
        return true
    }

    /// `[\w][\w.-]{0,127}`
    public static func validateTag(_ tag: String, in text: String) throws(OCIError) {
        let bytes = Array(tag.utf8)
        func isWord(_ b: UInt8) -> Bool {
            (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39) || b == 0x5f
        }
        guard let first = bytes.first else { throw OCIError.invalidReference(text, reason: "the tag is empty") }
        guard bytes.count <= 128 else {
            throw OCIError.invalidReference(text, reason: "a tag is at most 128 characters; this one has \(bytes.count)")
        }
        if let bad = tag.unicodeScalars.first(where: { !($0.isASCII && (isWord(UInt8($0.value)) || $0 == "." || $0 == "-")) }) {
            throw OCIError.invalidReference(text, reason: "\(describe(bad)) is not allowed in a tag (letters, digits, '_', '.' and '-' only)")
        }
        guard isWord(first) else {
            throw OCIError.invalidReference(text, reason: "a tag cannot start with '\(UnicodeScalar(first))' (it starts with a letter, digit or '_')")
        }
    }
}
