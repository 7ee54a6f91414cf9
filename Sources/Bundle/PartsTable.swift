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

/// Hashes one part as its bytes pass (written by pack and split, read by a sequential reader):
/// the part's `sha256` and `sample`, both over its bytes outside the signature slot.
final class PartDigester {
    /// Bundle offset where the part starts.
    let start: Int64
    private let hasher = DigestHasher(.sha256)
    private var head: [UInt8] = []
    private var tail: [UInt8] = []
    private(set) var size: Int64 = 0
    private var counted: Int64 = 0

    init(start: Int64) { self.start = start }

    /// The next bytes of the part, in order.
    func update(_ bytes: UnsafeRawBufferPointer) {
        let offset = start + size
        size += Int64(bytes.count)
        let skip = Int(max(0, min(Int64(bytes.count), PartsTable.slotEnd - offset)))
        let counted = UnsafeRawBufferPointer(rebasing: bytes[skip...])
        guard !counted.isEmpty else { return }
        self.counted += Int64(counted.count)
        hasher.update(counted)
        let toHead = min(counted.count, PartsTable.sampleSpan - head.count)
        head.append(contentsOf: counted.prefix(toHead))
        tail.append(contentsOf: counted.dropFirst(toHead))
        if tail.count > 16 * PartsTable.sampleSpan { tail.removeFirst(tail.count - PartsTable.sampleSpan) }
    }

    func finish() throws(BundleError) -> PartsTable.Part {
        let tailBytes = tail.suffix(PartsTable.sampleSpan)
        do {
            return PartsTable.Part(size: size, sha256: try hasher.finalize(), sample: try Digest.of(head + tailBytes))
        } catch {
            throw BundleError.library("cannot hash a bundle part: \(error)")
        }
    }
}

extension FileOutput {
    /// Moves parts written under a temporary name into place as `bundle.001`, … and writes
    /// `bundle.parts` last; parts an earlier, longer split left behind are removed first.
    /// Returns the parts' paths.
    func placeParts(as bundle: String, manifestDigest: Digest) throws(BundleError) -> [String] {
        let table = try partsTable(manifestDigest: manifestDigest)
        for number in stride(from: paths.count + 1, through: PartsTable.maxParts, by: 1) {
            let stale = PartsTable.partPath(bundle, number)
            guard unlink(stale) == 0 else {
                if errno == ENOENT { break }
                throw BundleError.system("remove", stale)
            }
        }
        var placed: [String] = []
        for (index, path) in paths.enumerated() {
            let target = PartsTable.partPath(bundle, index + 1)
            guard rename(path, target) == 0 else { throw BundleError.system("move a part to", target) }
            placed.append(target)
        }
        try table.write(bundle: bundle)
        return placed
    }
}

/// `airlock split`: copies a bundle into parts of at most `partSize` bytes beside it, byte for
/// byte (its signatures untouched), with their table. The bundle itself is left as it is.
public enum BundleSplitter {
    public static func split(_ bundle: String, partSize: Int64, into target: String) throws -> [String] {
        guard bundle != "-" else { throw BundleError.usage("split reads the bundle twice: give its path, not -") }
        let input = try BundleInput.open(bundle)
        let header = try BundleHeader.read(input: input)
        let directory = parentFolder(of: target)
        let temporary = (directory.isEmpty ? "." : directory) + "/.airlock-split.\((target as NSString).lastPathComponent)"
        let output = try FileOutput(creatingParts: temporary, partSize: partSize)
        do {
            let cursor = input.cursor()
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let count = try buffer.withUnsafeMutableBytes { raw in
                    guard let base = raw.baseAddress else { return 0 }
                    return try cursor.read(base, raw.count)
                }
                if count == 0 { break }
                try buffer.withUnsafeBytes { try output.write(UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }
            }
            try output.sync()
            return try output.placeParts(as: target, manifestDigest: header.manifestDigest)
        } catch {
            for path in output.paths { unlink(path) }
            throw error
        }
    }
}

/// `airlock join`: writes the parts of a split bundle as one file, checking each part against
/// the table and the whole bundle as `verify` does while the bytes pass; the file appears at
/// `output` only when everything checked.
public enum BundleJoiner {
    public static func join(_ bundle: String, to output: String, keys: [PublicKey]) throws -> VerificationReport {
        let input = try BundleInput.open(bundle)
        let temporary = output + ".airlock-join"
        let file = try FileOutput(creating: temporary)
        do {
            let report = try BundleVerifier(requiredKeys: keys).verify(input: input, onRead: { try file.write($0) })
            try file.sync()
            guard rename(temporary, output) == 0 else { throw BundleError.system("move the bundle to", output) }
            return report
        } catch {
            unlink(temporary)
            throw error
        }
    }
}
