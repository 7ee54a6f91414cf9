import Bundle
import Foundation
import OCI
import Testing
import TestSupport

/// The committed test vectors (fixtures/, made by scripts/make-fixtures.sh) read as the spec says.
struct FixtureTests {
    static let bundle = TestPaths.repoRoot.appendingPathComponent("fixtures/tiny.bundle").path
    static func key(_ name: String) -> String { TestPaths.repoRoot.appendingPathComponent("fixtures/keys/\(name)").path }

    static func expected() throws -> [String: Any] {
        let data = try Data(contentsOf: TestPaths.repoRoot.appendingPathComponent("fixtures/tiny.expected.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func verify(_ path: String) throws -> VerificationReport {
        let keys = [try PublicKey.load(path: Self.key("test-ed25519.pub")), try PublicKey.load(path: Self.key("test-ecdsa.pub"))]
        return try BundleVerifier(requiredKeys: keys).verify(input: try BundleInput.open(path))
    }

    @Test func verifiesWithTheExpectedFacts() throws {
        let expected = try Self.expected()
        let report = try verify(Self.bundle)
        let manifest = try #require(expected["manifest"] as? [String: Any])
        #expect(report.manifestDigest.description == manifest["digest"] as? String)
        let blobs = try #require(expected["blobs"] as? [[String: Any]])
        #expect(report.manifest.blobs.map(\.digest.description) == blobs.compactMap { $0["digest"] as? String })
        #expect(report.manifest.blobs.map(\.size) == blobs.compactMap { ($0["size"] as? Int).map(Int64.init) })
        let keys = try #require(expected["keys"] as? [String: [String: String]])
        #expect(Set(report.signatures.signers.map(\.keyID.description)) == Set(keys.values.compactMap { $0["keyID"] }))
    }

    @Test func randomAccessReadsEveryBlob() throws {
        let file = try BundleFile(path: Self.bundle)
        let index = try file.checkStructure()
        #expect(try Digest.of(index) == file.manifest.index.digest)
        var buffer = [UInt8](repeating: 0, count: 1000)
        for descriptor in file.manifest.blobs {
            let reader = try file.reader(for: descriptor.digest)
            let hasher = DigestHasher()
            var size = 0
            while case let count = try buffer.withUnsafeMutableBytes({ try reader.read(into: $0) }), count > 0 {
                buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }
                size += count
            }
            #expect(Int64(size) == descriptor.size)
            #expect(try hasher.finalize() == descriptor.digest)
        }
    }

    /// Moves the last seek-table entry one block and rewrites the table frame consistently.
    @Test func misplacedSeekTableEntryFailsVerification() throws {
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: Self.bundle)))
        let length = bytes.suffix(12).prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let jsonStart = bytes.count - 12 - length
        var table = try #require(try JSONSerialization.jsonObject(with: Data(bytes[jsonStart..<(bytes.count - 12)])) as? [String: Any])
        var entries = try #require(table["entries"] as? [[String: Any]])
        entries[entries.count - 1]["offset"] = (entries[entries.count - 1]["offset"] as? Int ?? 0) + 512
        table["entries"] = entries
        let json = Array(try JSONSerialization.data(withJSONObject: table, options: [.sortedKeys]))
        let footer = (0..<8).map { UInt8(truncatingIfNeeded: json.count >> (8 * $0)) } + Array("ALST".utf8)
        let payload = json + footer
        let header = [0x5e, 0x2a, 0x4d, 0x18] + (0..<4).map { UInt8(truncatingIfNeeded: payload.count >> (8 * $0)) }
        bytes = Array(bytes[..<(jsonStart - 8)]) + header + payload
        let path = try TestPaths.temporaryDirectory("seek").appendingPathComponent("moved.bundle").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        do {
            _ = try verify(path)
            Issue.record("a misplaced seek-table entry must not verify")
        } catch {
            #expect("\(error)".contains("seek table"), "\(error)")
        }
    }
}
