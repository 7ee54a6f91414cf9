import Foundation
import OCI

/// The sidecar that identifies the parts of a split bundle (format-spec §13): `B.parts` beside
/// `B.001`, `B.002`, … The parts stay plain consecutive byte ranges of the bundle; this table lets
/// a reader name a missing, truncated, reordered, duplicated or foreign part before it reads any.
/// It is not signed: it only says which bytes go where, and everything read through it is still
/// checked against the signed manifest (§9).
public struct PartsTable: Codable, Sendable, Equatable {
    public static let mediaType = "application/vnd.airlock.bundle.parts.v1+json"
    public let mediaType: String
    /// SHA-256 of the bundle manifest's bytes: which bundle these are the parts of.
    public let manifestDigest: Digest
    /// The whole bundle's size: the sum of the parts' sizes.
    public let size: Int64
    /// The part size the bundle was split at (every part but the last has exactly this size).
    public let partSize: Int64
    /// Part 1, 2, … in order.
    public let parts: [Part]

    public struct Part: Codable, Sendable, Equatable {
        public let size: Int64
        /// SHA-256 of the part's bytes outside the signature slot (bundle offsets 0–65543 are
        /// left out, so that signing, which rewrites only the slot, leaves the table valid).
        public let sha256: Digest
        /// SHA-256 of the first 4096 and last 4096 of those bytes (all of them when there are at
        /// most 8192): a fingerprint a random-access reader checks without reading the part.
        public let sample: Digest
    }

    public init(manifestDigest: Digest, partSize: Int64, parts: [Part]) {
        self.mediaType = Self.mediaType
        self.manifestDigest = manifestDigest
        self.size = parts.reduce(0) { $0 + $1.size }
        self.partSize = partSize
        self.parts = parts
    }

    /// Bytes of a part's head and tail that `sample` covers.
    static let sampleSpan = 4096
    /// At most 999 parts: `.001` … `.999`, so that `cat B.0* B.[1-9]*` and a sorted listing keep their order.
    public static let maxParts = 999
    /// Bundle offsets below this are the signature slot, left out of part digests.
    static let slotEnd = Int64(SkippableFrame.headerSize + SignatureSlot.size)

    /// `B.001` for part 1 of `B`.
    public static func partPath(_ bundle: String, _ number: Int) -> String {
        bundle + "." + String(repeating: "0", count: max(0, 3 - String(number).count)) + String(number)
    }

    public static func tablePath(_ bundle: String) -> String { bundle + ".parts" }

    /// The bundle `B` and the part number when `path` names a part (`B.001`).
    public static func parsePartPath(_ path: String) -> (bundle: String, number: Int)? {
        let name = (path as NSString).lastPathComponent
        guard let dot = name.lastIndex(of: "."), name.index(after: dot) < name.endIndex else { return nil }
        let suffix = name[name.index(after: dot)...]
        guard suffix.count == 3, suffix.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(suffix), number > 0 else { return nil }
        return (String(path.dropLast(4)), number)
    }

    public func encoded() throws -> [UInt8] {
        try CanonicalJSON.pretty(self)
    }

    /// Reads `B.parts`; nil when there is none.
    static func load(bundle: String) throws(BundleError) -> PartsTable? {
        let path = tablePath(bundle)
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw BundleError.system("read", path)
        }
        // 999 parts take about 200 KiB; anything much larger is not a parts table.
        guard info.st_size <= 1 << 20, let data = FileManager.default.contents(atPath: path) else {
            throw info.st_size > 1 << 20
                ? BundleError.verification("\(path) is not an airlock parts table (it is \(info.st_size) bytes)")
                : BundleError.system("read", path)
        }
        guard let table = try? JSONDecoder().decode(PartsTable.self, from: data), table.mediaType == mediaType,
              !table.parts.isEmpty, table.parts.count <= maxParts,
              table.parts.allSatisfy({ $0.size > 0 && $0.size < 1 << 50 }),
              table.parts.reduce(0, { $0 + $1.size }) == table.size
        else {
            throw BundleError.verification("\(path) is damaged or is not an airlock parts table; copy it again with the parts (or remove it to read the parts in number order unchecked)")
        }
        return table
    }

    /// Writes the table beside the parts (a temporary name, then renamed: never half a table).
    func write(bundle: String) throws(BundleError) {
        let path = Self.tablePath(bundle)
        let output = try FileOutput(creating: path + ".tmp")
        do {
            try output.write(try encoded())
        } catch let error as BundleError {
            throw error
        } catch {
            throw BundleError.io("cannot encode \(path)")
        }
        try output.sync()
        guard rename(path + ".tmp", path) == 0 else { throw BundleError.system("create", path) }
    }
}
