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

    /// `*` matches any run (including none), `?` one character; everything else literally.
    static func glob(_ pattern: [UInt8], matches text: [UInt8]) -> Bool {
        var p = 0, t = 0
        var starP = -1, starT = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "?") || pattern[p] == text[t] {
                p += 1
                t += 1
            } else if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                starP = p
                starT = t
                p += 1
            } else if starP >= 0 {
                p = starP + 1
                starT += 1
                t = starT
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}

/// Orders tags as versions: dotted numeric parts compare as numbers (8.12.10 > 8.12.9), a
/// pre-release sorts before its release (8.13.0-rc.1 < 8.13.0, per SemVer §11), a leading `v`
/// is ignored, and tags that are not versions (`latest`) come after all versions.
public enum VersionOrder {
    /// `lhs` sorts before `rhs` in newest-first order. Total and deterministic.
    public static func newerFirst(_ lhs: String, _ rhs: String) -> Bool {
        switch compare(lhs, rhs) {
        case .orderedDescending: true
        case .orderedAscending: false
        case .orderedSame: lhs < rhs
        }
    }

    enum Ordering { case orderedAscending, orderedSame, orderedDescending }

    /// Compares as versions; `.orderedDescending` means lhs is newer.
    static func compare(_ lhs: String, _ rhs: String) -> Ordering {
        let a = Parsed(lhs), b = Parsed(rhs)
        switch (a.release.isEmpty, b.release.isEmpty) {
        case (true, true): return lhs == rhs ? .orderedSame : (lhs > rhs ? .orderedAscending : .orderedDescending)
        case (true, false): return .orderedAscending   // non-versions are "older": listed last
        case (false, true): return .orderedDescending
        case (false, false): break
        }
        let width = max(a.release.count, b.release.count)
        for i in 0..<width {
            // A missing part counts as lower: 7.23.6 < 7.23.6.0 < 7.23.6.1.
            guard i < a.release.count else { return .orderedAscending }
            guard i < b.release.count else { return .orderedDescending }
            if a.release[i] != b.release[i] { return a.release[i] < b.release[i] ? .orderedAscending : .orderedDescending }
        }
        switch (a.prerelease, b.prerelease) {
        case (nil, nil): break
        case (nil, _): return .orderedDescending
        case (_, nil): return .orderedAscending
        case (let x?, let y?):
            let ordering = comparePrerelease(x, y)
            if ordering != .orderedSame { return ordering }
        }
        return .orderedSame
    }

    /// SemVer §11.4: identifiers compared left to right; numeric ones as numbers and below alphanumerics.
    static func comparePrerelease(_ a: [Substring], _ b: [Substring]) -> Ordering {
        for (x, y) in zip(a, b) where x != y {
            switch (UInt64(x), UInt64(y)) {
            case (let m?, let n?): return m < n ? .orderedAscending : .orderedDescending
            case (.some, nil): return .orderedAscending
            case (nil, .some): return .orderedDescending
            case (nil, nil): return x < y ? .orderedAscending : .orderedDescending
            }
        }
        if a.count == b.count { return .orderedSame }
        return a.count < b.count ? .orderedAscending : .orderedDescending
    }

    struct Parsed {
        /// Numeric release parts; empty when the tag is not a version.
        var release: [UInt64] = []
        var prerelease: [Substring]?

        init(_ tag: String) {
            var text = Substring(tag)
            if let plus = text.firstIndex(of: "+") { text = text[..<plus] }
            if text.first == "v" || text.first == "V" { text = text.dropFirst() }
            var core = text
            if let dash = text.firstIndex(where: { $0 == "-" || $0 == "_" }) {
                core = text[..<dash]
                let rest = text[text.index(after: dash)...]
                prerelease = rest.split(separator: ".", omittingEmptySubsequences: false)
            }
            let parts = core.split(separator: ".", omittingEmptySubsequences: false)
            var numbers: [UInt64] = []
            for part in parts {
                guard !part.isEmpty, part.allSatisfy(\.isASCII), let number = UInt64(part) else { return }
                numbers.append(number)
            }
            release = numbers
        }
    }
}
