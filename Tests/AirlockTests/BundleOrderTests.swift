@testable import Airlock
import Foundation
import OCI
import Testing

/// Issue 23: one bundle order (format-spec §12.4), behind the downgrade refusal, prune and status.
struct BundleOrderTests {
    static func digest(_ label: String) throws -> Digest { try Digest.of(Array(label.utf8)) }

    static func standing(_ version: String, created: String = "2026-01-01T00:00:00Z", lineage: [String] = [], label: String? = nil) throws -> BundleOrder.Standing {
        BundleOrder.Standing(name: "acme", version: version, manifestDigest: try digest(label ?? version), created: created,
                             lineage: try lineage.map(digest))
    }

    /// (earlier, later): versions in the order the rule gives them.
    @Test(arguments: [
        ("1.0.0", "1.0.1"), ("1.9", "1.10"), ("v1", "v2"), ("v1.2", "1.3"), ("7.23.6", "7.23.6.1"),
        ("1.0.0-rc.1", "1.0.0"), ("1.0.0-rc.2", "1.0.0-rc.10"), ("1.0.0-alpha", "1.0.0-beta"), ("1.0.0-SNAPSHOT", "1.0.0"),
        ("1.0.0-dev", "1.0.0"), ("1.0.0-pre1", "1.0.0"), ("2.0-preview.3", "2.0"),
        ("1.0.0", "1.0.0-p1"), ("1.0.0-p1", "1.0.0-p2"), ("2024.06", "2024.06-hotfix1"), ("2024.06-hotfix9", "2024.06-hotfix10"),
        ("1.0.0", "1.0.0+build.5"), ("1.0.0-rc.1", "1.0.0-p1"), ("2024.06-hotfix1", "2024.07"), ("1.0.0-p1", "1.0.1-rc.1"),
    ])
    func versionsOrder(earlier: String, later: String) throws {
        let a = try #require(BundleVersion(earlier)), b = try #require(BundleVersion(later))
        #expect(b.compare(to: a) > 0)
        #expect(a.compare(to: b) < 0)
        #expect(BundleOrder.compare(try Self.standing(later), try Self.standing(earlier)) == .newer)
        #expect(BundleOrder.compare(try Self.standing(earlier), try Self.standing(later)) == .older)
    }

    @Test(arguments: ["r17", "d2", "latest", "release-2024", "", "1..2", "1.x", "-1", "v", "1.0.0abc"])
    func notVersionNumbers(text: String) {
        #expect(BundleVersion(text) == nil)
    }

    @Test(arguments: [("1.0", "1.0.0"), ("v2.1", "2.1"), ("1.0.0-RC1", "1.0.0-rc.1")])
    func sameVersions(a: String, b: String) throws {
        #expect(try #require(BundleVersion(a)).compare(to: try #require(BundleVersion(b))) == 0)
        // Different manifests at one version: a conflict, whatever the creation times say.
        let first = try Self.standing(a, created: "2026-01-01T00:00:00Z", label: "x" + a)
        let second = try Self.standing(b, created: "2026-02-01T00:00:00Z", label: "y" + b)
        #expect(BundleOrder.compare(first, second) == .conflict)
    }

    /// Names that are not versions (and a version against a name) go by the signed creation time.
    @Test(arguments: [("r17", "r18"), ("d1", "d2"), ("d2", "d1"), ("v1", "r17"), ("r17", "v1"), ("2024.06", "nightly")])
    func namesGoByCreationTime(older: String, newer: String) throws {
        let a = try Self.standing(older, created: "2026-03-01T10:00:00Z")
        let b = try Self.standing(newer, created: "2026-03-01T10:00:01Z")
        #expect(BundleOrder.compare(b, a) == .newer)
        #expect(BundleOrder.compare(a, b) == .older)
        let tie = try Self.standing(newer, created: "2026-03-01T10:00:00Z")
        #expect(BundleOrder.compare(tie, a) == .conflict)
    }

    /// A delta is newer than every bundle of its chain, even with an earlier version and time.
    @Test func aDeltaIsNewerThanItsChain() throws {
        let v1 = try Self.standing("v1", created: "2026-05-01T00:00:00Z")
        let v0 = try Self.standing("v0.9", created: "2026-04-01T00:00:00Z")
        let delta = try Self.standing("d2", created: "2026-01-01T00:00:00Z", lineage: ["v1", "v0.9"])
        #expect(BundleOrder.compare(delta, v1) == .newer)
        #expect(BundleOrder.compare(delta, v0) == .newer)
        #expect(BundleOrder.compare(v1, delta) == .older)
        let down = try Self.standing("0.1", created: "2026-01-01T00:00:00Z", lineage: ["v1"])
        #expect(BundleOrder.compare(down, v1) == .newer)
        #expect(BundleOrder.compare(v1, v1) == .same)
    }

    @Test func newestFirstIsTotalAndStable() throws {
        let bundles = [
            try Self.standing("r17", created: "2026-03-01T00:00:00Z"),
            try Self.standing("r18", created: "2026-03-02T00:00:00Z"),
            try Self.standing("r19", created: "2026-03-03T00:00:00Z"),
            try Self.standing("d1", created: "2026-02-01T00:00:00Z", lineage: ["r19"]),
        ]
        let order = BundleOrder.newestFirst(bundles).map(\.version)
        #expect(order == ["d1", "r19", "r18", "r17"])
        #expect(BundleOrder.newestFirst(bundles.reversed()).map(\.version) == order)
        #expect(BundleOrder.newestFirst(bundles.shuffled()).map(\.version) == order)
    }
}

extension BundleOrderTests {
    /// A delta of the newest recorded bundle is newer than the older ones too, whatever its time.
    @Test func aDeltaOutranksWhatItsBaseOutranks() throws {
        let r18 = try Self.standing("r18", created: "2026-03-02T00:00:00Z")
        let r19 = try Self.standing("r19", created: "2026-03-03T00:00:00Z")
        let d1 = try Self.standing("d1", created: "2026-02-01T00:00:00Z", lineage: ["r19"])
        #expect(BundleOrder.compare(d1, r18) == .older)   // alone, only the times speak
        #expect(BundleOrder.compare(d1, r18, among: [r18, r19]) == .newer)
        #expect(BundleOrder.compare(r18, d1, among: [r19]) == .older)
    }
}
