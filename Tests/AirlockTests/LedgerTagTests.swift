import Airlock
import Foundation
import Testing
import TestSupport

/// format-spec §12.1: how a bundle's name and version become its ledger tag.
struct LedgerTagTests {
    /// The distribution spec's tag grammar.
    static func isTag(_ text: String) -> Bool {
        text.range(of: "^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$", options: .regularExpression) != nil
    }

    /// SHA-256(NAME LF VERSION), as sha256sum computes it: the 12 hex digits a changed tag ends with.
    static func suffix(_ name: String, _ version: String) -> String {
        String(sha256Hex(Array("\(name)\n\(version)".utf8)).prefix(12))
    }

    @Test func aValidTagIsKept() throws {
        #expect(try LedgerLocation.tag(name: "acme-platform", version: "2.10.2") == "acme-platform-2.10.2")
        #expect(try LedgerLocation.tag(name: "acme-platform", version: "2.10.2") { _ in ("acme-platform", "2.10.2") } == "acme-platform-2.10.2",
                "its own record does not count as taken")
    }

    @Test(arguments: [
        ("acme platform", "2.10.2+build.7", "acme_platform-2.10.2_build.7"),
        (".hidden", "1", "_.hidden-1"),
        ("-x", "1", "_-x-1"),
        ("ünïcode", "1.0", "_n_code-1.0"),
        (String(repeating: "n", count: 140), "1", String(repeating: "n", count: 115)),
    ])
    func anInvalidOrLongTagIsSanitizedAndHashed(_ name: String, _ version: String, _ prefix: String) throws {
        let tag = try LedgerLocation.tag(name: name, version: version)
        #expect(tag == prefix + "-" + Self.suffix(name, version))
        #expect(Self.isTag(tag), "\(tag)")
    }

    @Test func anotherBundlesTagIsNotTaken() throws {
        // acme + platform-1 and acme-platform + 1 both read acme-platform-1.
        let tag = try LedgerLocation.tag(name: "acme", version: "platform-1") { $0 == "acme-platform-1" ? ("acme-platform", "1") : nil }
        #expect(tag == "acme-platform-1-" + Self.suffix("acme", "platform-1"))
    }
}
