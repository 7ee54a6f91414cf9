@testable import Airlock
import Testing

struct VersionPatternTests {
    static let runtimeTags = [
        "7.23.6.0", "7.23.6.3", "7.23.7.0", "7.23.7.1", "8.12.0", "8.12.1", "8.12.10",
        "8.13.0", "8.13.0-rc.1", "latest",
    ]

    @Test(arguments: [
        ("8.12.*", ["8.12.10", "8.12.1", "8.12.0"]),
        ("8.12.*, 7.23.6.*", ["8.12.10", "8.12.1", "8.12.0", "7.23.6.3", "7.23.6.0"]),
        ("7.23.6.*,7.23.6.*", ["7.23.6.3", "7.23.6.0"]),
        ("8.13.*", ["8.13.0", "8.13.0-rc.1"]),
        ("*", ["8.13.0", "8.13.0-rc.1", "8.12.10", "8.12.1", "8.12.0", "7.23.7.1", "7.23.7.0", "7.23.6.3", "7.23.6.0", "latest"]),
        ("7.23.?.*", ["7.23.7.1", "7.23.7.0", "7.23.6.3", "7.23.6.0"]),
        ("latest", ["latest"]),
        ("8.12.1", ["8.12.1"]),
        ("9.*", []),
        ("8.12.1*", ["8.12.10", "8.12.1"]),
    ])
    func selects(_ pattern: String, _ expected: [String]) throws {
        #expect(try VersionPattern(parsing: pattern).select(from: Self.runtimeTags) == expected)
    }

    @Test func maxKeepsNewest() throws {
        #expect(try VersionPattern(parsing: "*").select(from: Self.runtimeTags, max: 3) == ["8.13.0", "8.13.0-rc.1", "8.12.10"])
    }

    /// Pairs (newer, older).
    @Test(arguments: [
        ("8.12.10", "8.12.9"),
        ("8.12.10", "8.12.1"),
        ("8.12.1", "8.12.0"),
        ("10.0.0", "9.99.99"),
        ("7.23.6.1", "7.23.6"),
        ("7.23.6.0", "7.23.6"),
        ("1.0.0", "1.0.0-rc.1"),
        ("1.0.0-rc.2", "1.0.0-rc.1"),
        ("1.0.0-rc.10", "1.0.0-rc.9"),
        ("1.0.0-rc.1", "1.0.0-beta.11"),
        ("1.0.0-beta", "1.0.0-alpha.1"),
        ("1.0.0-alpha.1", "1.0.0-alpha"),
        ("1.0.0-alpha.beta", "1.0.0-alpha.1"),
        ("v2.0", "v1.9"),
        ("v2.0", "1.9"),
        ("1.0", "latest"),
        ("0.0.1", "stable"),
        ("2026.11.22", "2026.2.28"),
    ])
    func ordersNewestFirst(_ newer: String, _ older: String) {
        #expect(VersionOrder.newerFirst(newer, older))
        #expect(!VersionOrder.newerFirst(older, newer))
    }

    @Test func orderIsTotalAndDeterministic() {
        let tags = ["1.0", "1.0.0", "v1.0", "1.0+build", "latest", "edge", "1.0-rc.1", "01.0"]
        let once = tags.sorted(by: VersionOrder.newerFirst)
        #expect(once == tags.reversed().sorted(by: VersionOrder.newerFirst))
        #expect(once == tags.shuffled().sorted(by: VersionOrder.newerFirst))
    }

    @Test(arguments: ["", " , ", "8.12.*/x", "bad tag", "sha256:nothex", "-x"])
    func rejectsBadPatterns(_ text: String) {
        #expect(throws: AirlockError.self) { try VersionPattern(parsing: text) }
    }

    @Test func globSemantics() {
        func match(_ pattern: String, _ text: String) -> Bool {
            VersionPattern.glob(Array(pattern.utf8), matches: Array(text.utf8))
        }
        #expect(match("*", ""))
        #expect(match("a*b*c", "aXXbYYc"))
        #expect(!match("a*b*c", "aXXbYY"))
        #expect(match("8.12.?", "8.12.1"))
        #expect(!match("8.12.?", "8.12.10"))
        #expect(!match("8.12.*", "8.120"))
        #expect(match("**", "anything"))
    }
}

struct ImagePatternTests {
    @Test(arguments: [
        ("127.0.0.1:5000/acme/runtime:8.12.*", "127.0.0.1:5000", "acme/runtime", "8.12.*"),
        ("127.0.0.1:5000/acme/runtime:8.12.*, 7.23.6.*", "127.0.0.1:5000", "acme/runtime", "8.12.*, 7.23.6.*"),
        ("127.0.0.1:5000/acme/runtime", "127.0.0.1:5000", "acme/runtime", "*"),
        ("acme/runtime:1.*", "index.docker.io", "acme/runtime", "1.*"),
        ("localhost:5000/app@sha256:" + String(repeating: "a", count: 64), "localhost:5000", "app", "sha256:" + String(repeating: "a", count: 64)),
    ])
    func parses(_ text: String, _ registry: String, _ repository: String, _ tags: String) throws {
        let pattern = try ImagePattern(parsing: text)
        #expect(pattern.repository.registry == registry)
        #expect(pattern.repository.repository == repository)
        #expect(pattern.tags.description == tags)
    }

    @Test(arguments: ["", "Acme/Runtime:1", "host:5000/app:", "host/app@sha256:zz"])
    func rejects(_ text: String) {
        #expect(throws: AirlockError.self) { try ImagePattern(parsing: text) }
    }
}
