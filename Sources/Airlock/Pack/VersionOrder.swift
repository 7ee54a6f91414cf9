import OCI

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
