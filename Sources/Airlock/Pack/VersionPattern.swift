import OCI

/// Which tags of a repository to take: a comma-separated list of exact tags, globs (`8.12.*`,
/// `7.23.?`, `*`) and digests, as in `"8.12.*, 7.23.6.*"`. Matching tags are ordered newest first
/// by `VersionOrder`.
public struct VersionPattern: Sendable, Hashable, CustomStringConvertible {
    public enum Term: Sendable, Hashable {
        case tag(String)
        case glob(String)
        case digest(Digest)
    }

    public let terms: [Term]

    public init(terms: [Term]) { self.terms = terms }

    public init(parsing text: String) throws(AirlockError) {
        var terms: [Term] = []
        for raw in text.split(separator: ",") {
            let term = raw.trimmingCharacters(in: .whitespaces)
            if term.isEmpty { continue }
            if term.contains(":") {
                do {
                    terms.append(.digest(try Digest(parsing: term)))
                } catch {
                    throw AirlockError.usage("'\(term)' in tag pattern '\(text)' is neither a tag nor a valid digest")
                }
            } else if term.contains("*") || term.contains("?") {
                guard term.utf8.allSatisfy({ Self.isTagByte($0) || $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") }) else {
                    throw AirlockError.usage("'\(term)' in tag pattern '\(text)' has characters a tag cannot have")
                }
                terms.append(.glob(term))
            } else {
                do {
                    try Reference.validateTag(term, in: text)
                } catch {
                    throw AirlockError.usage("'\(term)' in tag pattern '\(text)' is not a valid tag: \(error.reason)")
                }
                terms.append(.tag(term))
            }
        }
        guard !terms.isEmpty else { throw AirlockError.usage("the tag pattern '\(text)' is empty") }
        self.terms = terms
    }

    public var description: String {
        terms.map { term in
            switch term {
            case .tag(let tag): tag
            case .glob(let glob): glob
            case .digest(let digest): digest.description
            }
        }.joined(separator: ", ")
    }

    /// True when no term needs the tag list (exact tags and digests only).
    public var isExact: Bool {
        terms.allSatisfy { if case .glob = $0 { false } else { true } }
    }

    public func matches(_ tag: String) -> Bool {
        terms.contains { term in
            switch term {
            case .tag(let exact): exact == tag
            case .glob(let glob): Self.glob(Array(glob.utf8), matches: Array(tag.utf8))
            case .digest: false
            }
        }
    }

    /// The tag and glob terms that match none of `available`: a typo in a version line, named
    /// instead of silently ignored beside terms that match.
    public func unmatchedTerms(in available: [String]) -> [Term] {
        terms.filter { term in
            if case .digest = term { return false }
            return !available.contains { VersionPattern(terms: [term]).matches($0) }
        }
    }

    /// The tags of `available` that match, newest first, at most `max`.
    public func select(from available: [String], max: Int? = nil) -> [String] {
        let chosen = Set(available.filter(matches)).sorted { VersionOrder.newerFirst($0, $1) }
        guard let max else { return chosen }
        return Array(chosen.prefix(max))
    }

    static func isTagByte(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39) || b == 0x5f || b == 0x2e || b == 0x2d
    }

    /// `*` matches any run (including none), `?` one character (`OCI.Glob`).
    static func glob(_ pattern: [UInt8], matches text: [UInt8]) -> Bool {
        Glob.matches(pattern, text)
    }
}
