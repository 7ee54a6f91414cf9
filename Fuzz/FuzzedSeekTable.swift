import Bundle
import Foundation

/// A seek table's JSON from bytes: decoded with a wide bound (the parser and the duplicate-member
/// check on tables of any size), then as the one-pass verifier takes the table frame's payload
/// (`BundleVerifier.checkSeekTable`): bounded by what fixtures/tiny.bundle's manifest needs
/// (`SeekTable.maximumJSONSize`) and held to that bundle's frames, entries and manifest.
enum FuzzedSeekTable {
    /// What a pass over tiny.bundle saw, read once from the fixture.
    struct Fixture {
        let manifest: BundleManifest
        let manifestSize: Int
        let limit: Int
        let frames: [[Int64]]
        let fileSize: Int64
        let observed: [BundleVerifier.ObservedEntry]
    }

    static let name = "fuzzed.bundle"

    static let tiny: Fixture = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fixtures/tiny.bundle").path
        do {
            return try fixture(path)
        } catch {
            FileHandle.standardError.write(Data("airlock-fuzz: seek-table needs \(path): \(error)\n".utf8))
            exit(6)
        }
    }()

    static func check(_ bytes: [UInt8]) {
        _ = try? SeekTable.decode(bytes, limit: 1 << 16, name: name)
        _ = try? BundleVerifier.checkSeekTable(payload(bytes), frames: tiny.frames, fileSize: tiny.fileSize, observed: tiny.observed,
                                               manifest: tiny.manifest, manifestSize: tiny.manifestSize, limit: tiny.limit, name: name)
    }

    /// The table frame's payload around `json`: the JSON, its u64 LE length and "ALST" (§3.5).
    static func payload(_ json: [UInt8]) -> [UInt8] {
        json + withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) } + SeekTable.footerMagic
    }

    /// The fixture's manifest and table, with the entries where a tar reader finds them: each
    /// header one block before its data (no names there need a pax header), the two directories
    /// after index.json. Checked by passing its own table.
    static func fixture(_ path: String) throws -> Fixture {
        let header = try BundleHeader.read(path: path)
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let length = bytes.suffix(12).prefix(8).reversed().reduce(0) { $0 << 8 | Int($1) }
        let json = Array(bytes.dropLast(12).suffix(length))
        let table = try SeekTable.decode(json, limit: 1 << 16, name: path)
        var observed: [BundleVerifier.ObservedEntry] = []
        for entry in table.entries {
            observed.append((entry.name, entry.offset - 512, entry.size))
            if entry.name == "index.json" {
                let end = entry.offset + (entry.size + 511) / 512 * 512
                observed += [("blobs/", end, 0), ("blobs/sha256/", end + 512, 0)]
            }
        }
        let fixture = Fixture(
            manifest: header.manifest, manifestSize: header.manifestBytes.count,
            limit: SeekTable.maximumJSONSize(for: header.manifest, manifestSize: header.manifestBytes.count),
            frames: table.frames, fileSize: Int64(bytes.count), observed: observed)
        try BundleVerifier.checkSeekTable(payload(json), frames: fixture.frames, fileSize: fixture.fileSize, observed: fixture.observed,
                                          manifest: fixture.manifest, manifestSize: fixture.manifestSize, limit: fixture.limit, name: path)
        return fixture
    }
}
