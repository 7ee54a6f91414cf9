/// A bundle's version read as a version number, for `BundleOrder` (format-spec §12.4): numeric
/// parts (any number of them, a leading `v` allowed; a missing part counts as 0), then an
/// optional suffix after `-` or `+`. A suffix whose first word is a pre-release word (`rc`,
/// `alpha`, `beta`, `pre`, `dev`, `snapshot`, …) comes before the release; any other suffix is a
/// later build of it: `1.0.0-rc.1` < `1.0.0` < `1.0.0-p1` < `1.0.0-p2`, `2024.06` < `2024.06-hotfix1`.
/// Suffixes of one kind compare piece by piece, digit runs as numbers (`hotfix9` < `hotfix10`).
public struct BundleVersion: Sendable, Hashable {
    /// Words that mark a suffix as a pre-release (compared without case and trailing digits).
    static let prereleaseWords: Set<String> = [
        "a", "alpha", "b", "beta", "canary", "cr", "dev", "devel", "ea", "early", "m", "milestone",
        "next", "nightly", "pre", "preview", "rc", "snapshot", "test", "trial", "unstable",
    ]

    enum Kind: Int, Comparable {
        case prerelease = 0, release = 1, build = 2
        static func < (lhs: Kind, rhs: Kind) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    enum Piece: Hashable {
        case number(UInt64)
        case word(String)
    }

    let parts: [UInt64]
    let kind: Kind
    let suffix: [Piece]

    /// Nil when `text` does not start with a version number (`r17`, `latest`, `d2`).
    public init?(_ text: String) {
        var rest = Substring(text)
        if rest.first == "v" || rest.first == "V" { rest = rest.dropFirst() }
        let end = rest.firstIndex { $0 == "-" || $0 == "+" } ?? rest.endIndex
        var parts: [UInt64] = []
        for part in rest[..<end].split(separator: ".", omittingEmptySubsequences: false) {
            guard !part.isEmpty, part.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let number = UInt64(part) else { return nil }
            parts.append(number)
        }
        self.parts = parts
        guard end < rest.endIndex else {
            kind = .release
            suffix = []
            return
        }
        let separator = rest[end]
        let tail = rest[rest.index(after: end)...]
        suffix = Self.pieces(tail)
        if separator == "-", case .word(let word)? = suffix.first, Self.prereleaseWords.contains(word) {
            kind = .prerelease
        } else {
            kind = .build
        }
    }

    /// Above 0 when `self` is the later version, below 0 when earlier, 0 when the same.
    public func compare(to other: BundleVersion) -> Int {
        for index in 0..<max(parts.count, other.parts.count) {
            let a = index < parts.count ? parts[index] : 0
            let b = index < other.parts.count ? other.parts[index] : 0
            if a != b { return a > b ? 1 : -1 }
        }
        if kind != other.kind { return kind > other.kind ? 1 : -1 }
        for (a, b) in zip(suffix, other.suffix) where a != b {
            switch (a, b) {
            case let (.number(x), .number(y)): return x > y ? 1 : -1
            case let (.word(x), .word(y)): return x > y ? 1 : -1
            case (.number, .word): return -1   // SemVer §11.4.3: numeric identifiers sort first
            case (.word, .number): return 1
            }
        }
        return suffix.count == other.suffix.count ? 0 : (suffix.count > other.suffix.count ? 1 : -1)
    }

    /// `rc.1`, `RC1`, `hotfix-10` → words (lower-cased) and numbers; separators drop out.
    static func pieces(_ text: Substring) -> [Piece] {
        var pieces: [Piece] = []
        var current = ""
        var digits = false
        func flush() {
            guard !current.isEmpty else { return }
            pieces.append(digits ? (UInt64(current).map(Piece.number) ?? .word(current)) : .word(current))
            current = ""
        }
        for character in text.lowercased() {
            if character == "." || character == "-" || character == "_" || character == "+" {
                flush()
                continue
            }
            let isDigit = character.isASCII && character.isNumber
            if !current.isEmpty && isDigit != digits { flush() }
            digits = isDigit
            current.append(character)
        }
        flush()
        return pieces
    }
}
