import Bundle
import Foundation
import OCI

/// Which of two bundles of one product is the newer (format-spec §12.4): the one rule behind the
/// downgrade refusal, `prune --keep-last` and the order `status` lists bundles in.
///
/// 1. A delta is newer than every bundle in its chain of bases (by manifest digest).
/// 2. Otherwise, when both versions are version numbers (`BundleVersion`), the higher one.
/// 3. Otherwise the later signed creation time.
/// Two different manifests that no step tells apart are a conflict.
public enum BundleOrder {
    /// What a bundle's place is decided from, all of it covered by its signatures.
    public struct Standing: Sendable, Hashable {
        public let name: String
        public let version: String
        public let manifestDigest: Digest
        /// RFC 3339, as the manifest says.
        public let created: String
        /// The bundles this one is a delta of, nearest first.
        public let lineage: [Digest]

        public init(_ manifest: BundleManifest, digest: Digest) {
            self.init(name: manifest.name, version: manifest.version, manifestDigest: digest, created: manifest.created,
                      lineage: (manifest.base?.lineage ?? []).map(\.manifestDigest))
        }

        public init(name: String, version: String, manifestDigest: Digest, created: String, lineage: [Digest] = []) {
            self.name = name
            self.version = version
            self.manifestDigest = manifestDigest
            self.created = created
            self.lineage = lineage
        }

        /// `NAME VERSION (sha256:abcd…)`, as a conflict names a bundle.
        public var title: String { "\(name) \(version) (\(manifestDigest.short))" }
    }

    public enum Comparison: Sendable, Equatable {
        case newer, older, same
        /// Different bundles that no rule orders: the same version, or the same creation time.
        case conflict
    }

    /// Where `lhs` stands against `rhs`.
    public static func compare(_ lhs: Standing, _ rhs: Standing) -> Comparison {
        if lhs.manifestDigest == rhs.manifestDigest { return .same }
        if lhs.lineage.contains(rhs.manifestDigest) { return .newer }
        if rhs.lineage.contains(lhs.manifestDigest) { return .older }
        if let a = BundleVersion(lhs.version), let b = BundleVersion(rhs.version) {
            return comparison(a.compare(to: b))
        }
        return comparison(compareTimes(lhs.created, rhs.created))
    }

    /// Where `lhs` stands against `rhs` when `others` are known too: a delta stands where its
    /// nearest known base stands and just above it, so a delta of a bundle newer than `rhs` is
    /// newer than `rhs` whatever its own version or time (rule 1 before rules 2 and 3).
    public static func compare(_ lhs: Standing, _ rhs: Standing, among others: [Standing]) -> Comparison {
        relate(lhs, rhs, known: byDigest([lhs, rhs] + others), depth: 0)
    }

    static func byDigest(_ standings: [Standing]) -> [Digest: Standing] {
        Dictionary(standings.map { ($0.manifestDigest, $0) }, uniquingKeysWith: { a, _ in a })
    }

    static func relate(_ lhs: Standing, _ rhs: Standing, known: [Digest: Standing], depth: Int) -> Comparison {
        let direct = compare(lhs, rhs)
        guard direct != .same, !lhs.lineage.contains(rhs.manifestDigest), !rhs.lineage.contains(lhs.manifestDigest), depth < 64 else { return direct }
        if let base = lhs.lineage.lazy.compactMap({ known[$0] }).first {
            let standing = relate(base, rhs, known: known, depth: depth + 1)
            if standing == .newer || standing == .same { return .newer }
        }
        if let base = rhs.lineage.lazy.compactMap({ known[$0] }).first {
            let standing = relate(lhs, base, known: known, depth: depth + 1)
            if standing == .older || standing == .same { return .older }
        }
        return direct
    }

    /// Newest first. Every bundle is ranked by how many of the others it is newer than (with the
    /// whole set known), so the order is total even where the rules disagree about three bundles
    /// at once; ties go to the later creation time, then the manifest digest.
    public static func newestFirst(_ standings: [Standing]) -> [Standing] {
        let known = byDigest(standings)
        let wins = standings.map { one in standings.filter { relate(one, $0, known: known, depth: 0) == .newer }.count }
        return zip(standings, wins).sorted { a, b in
            if a.1 != b.1 { return a.1 > b.1 }
            let time = compareTimes(a.0.created, b.0.created)
            if time != 0 { return time > 0 }
            return a.0.manifestDigest > b.0.manifestDigest
        }.map(\.0)
    }

    /// Why `compare` found two bundles a conflict, in words for a refusal.
    public static func conflictReason(_ a: Standing, _ b: Standing) -> String {
        BundleVersion(a.version) != nil && BundleVersion(b.version) != nil ? "the same version, different manifests" : "neither is a version number and both were created at \(a.created)"
    }

    static func comparison(_ sign: Int) -> Comparison {
        sign > 0 ? .newer : sign < 0 ? .older : .conflict
    }

    /// Compares two RFC 3339 times as instants; one that does not parse sorts before one that does.
    static func compareTimes(_ lhs: String, _ rhs: String) -> Int {
        switch (instant(lhs), instant(rhs)) {
        case let (a?, b?): return a == b ? 0 : (a > b ? 1 : -1)
        case (nil, .some): return -1
        case (.some, nil): return 1
        case (nil, nil): return lhs == rhs ? 0 : (lhs > rhs ? 1 : -1)
        }
    }

    static func instant(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}
