import Foundation
import OCI

/// The bytes of one bundle, wherever they are: one file, standard input, or the parts of a split
/// bundle (`B.001`, `B.002`, … with `B.parts`, format-spec §13). Every reader goes through it, so
/// each one reads across parts, by position (`pread`) or front to back (`Cursor`), the same way.
/// Parts are checked when opened (present, sizes, fingerprints); a cursor also checks each part's
/// SHA-256 as it passes its end.
public final class BundleInput: @unchecked Sendable {
    // Immutable after init; `pread` on shared descriptors is safe from any thread.
    /// The bundle as the user named it ("standard input" for -): used in messages.
    public let name: String
    /// The bundle's own path: `B` for a split bundle (its journal and table sit beside it).
    public let bundlePath: String
    /// The parts table, when the bundle is split and has one.
    public let table: PartsTable?
    let parts: [Part]
    /// Total bytes; nil for standard input.
    public let size: Int64?

    struct Part {
        let path: String
        let fd: Int32
        /// Bundle offset of the part's first byte.
        let offset: Int64
        let size: Int64
    }

    /// Whether the bundle is split into parts.
    public var isSplit: Bool { parts.count > 1 || table != nil }
    /// The file that holds the signature slot (`B.001` for a split bundle).
    public var firstPath: String { parts[0].path }
    /// The path of each part, in order.
    public var partPaths: [String] { parts.map(\.path) }

    private init(name: String, bundlePath: String, table: PartsTable?, parts: [Part], size: Int64?) {
        self.name = name
        self.bundlePath = bundlePath
        self.table = table
        self.parts = parts
        self.size = size
    }

    deinit { for part in parts { close(part.fd) } }

    /// Opens `path`: "-" (standard input), a bundle file, the first part `B.001` of a split
    /// bundle, or `B` when only its parts exist.
    public static func open(_ path: String) throws(BundleError) -> BundleInput {
        if path == "-" {
            return BundleInput(name: "standard input", bundlePath: "-", table: nil,
                               parts: [Part(path: "-", fd: try openForReading("-"), offset: 0, size: 0)], size: nil)
        }
        if let named = PartsTable.parsePartPath(path) {
            if named.number == 1 { return try openParts(bundle: named.bundle, name: path) }
            if !FileManager.default.fileExists(atPath: path) || FileManager.default.fileExists(atPath: PartsTable.tablePath(named.bundle)) {
                throw BundleError.usage("\(path) is part \(named.number) of a split bundle; give its first part, \(PartsTable.partPath(named.bundle, 1))")
            }
        }
        var info = stat()
        if lstat(path, &info) != 0, errno == ENOENT, FileManager.default.fileExists(atPath: PartsTable.partPath(path, 1)) {
            return try openParts(bundle: path, name: path)
        }
        let fd = try openForReading(path)
        guard fstat(fd, &info) == 0 else {
            close(fd)
            throw BundleError.system("inspect", path)
        }
        return BundleInput(name: path, bundlePath: path, table: nil, parts: [Part(path: path, fd: fd, offset: 0, size: Int64(info.st_size))], size: Int64(info.st_size))
    }

    /// The parts of `bundle`: those its table lists, each checked; without a table, `B.001`,
    /// `B.002`, … up to the first number that does not exist (a later one that does is a gap).
    private static func openParts(bundle: String, name: String) throws(BundleError) -> BundleInput {
        let table = try PartsTable.load(bundle: bundle)
        var parts: [Part] = []
        var failure: BundleError?
        var offset: Int64 = 0
        var number = 1
        while failure == nil {
            let path = PartsTable.partPath(bundle, number)
            if let table, number > table.parts.count {
                if FileManager.default.fileExists(atPath: path) {
                    failure = .verification("\(path) is not part of this bundle: \(PartsTable.tablePath(bundle)) lists \(table.parts.count, noun: "part") (remove \(path), or copy the table again)")
                }
                break
            }
            guard FileManager.default.fileExists(atPath: path) else {
                if table != nil {
                    failure = .verification("\(path) is missing: copy it beside \(PartsTable.partPath(bundle, 1))")
                } else if let later = stride(from: number + 1, through: PartsTable.maxParts, by: 1).first(where: { FileManager.default.fileExists(atPath: PartsTable.partPath(bundle, $0)) }) {
                    failure = .verification("\(path) is missing (\(PartsTable.partPath(bundle, later)) exists): copy it beside \(PartsTable.partPath(bundle, 1))")
                }
                break
            }
            do throws(BundleError) {
                let fd = try openForReading(path)
                var info = stat()
                guard fstat(fd, &info) == 0 else {
                    close(fd)
                    throw BundleError.system("inspect", path)
                }
                parts.append(Part(path: path, fd: fd, offset: offset, size: Int64(info.st_size)))
                offset += Int64(info.st_size)
            } catch {
                failure = error
            }
            number += 1
            if number > PartsTable.maxParts { break }
        }
        let input = BundleInput(name: name, bundlePath: bundle, table: table, parts: parts, size: offset)
        if let failure { throw failure }
        if let table { try input.checkParts(against: table) }
        return input
    }

    /// Every part has its listed size and fingerprint: a part of another bundle, a copy of another
    /// part, or a cut-off copy is named before any of it is used.
    private func checkParts(against table: PartsTable) throws(BundleError) {
        let samples = table.parts.map(\.sample)
        for (index, (part, listed)) in zip(parts, table.parts).enumerated() {
            let number = index + 1
            if part.size < listed.size {
                throw BundleError.verification("\(part.path) is truncated or is not part \(number) of this bundle: it has \(part.size) bytes, part \(number) has \(listed.size) (copy it again)")
            }
            let sample = try self.sample(of: part)
            if part.size != listed.size || sample != listed.sample {
                let copyOf = samples.firstIndex(of: sample).map { " (it is a copy of part \($0 + 1))" } ?? ""
                throw BundleError.verification("\(part.path) is not part \(number) of this bundle\(copyOf): copy part \(number) again")
            }
        }
    }

    /// The part's fingerprint as `PartsTable.Part.sample` defines it.
    private func sample(of part: Part) throws(BundleError) -> Digest {
        let start = max(part.offset, PartsTable.slotEnd) - part.offset
        let count = max(0, part.size - start)
        let headCount = min(count, Int64(PartsTable.sampleSpan))
        let tailCount = min(count - headCount, Int64(PartsTable.sampleSpan))
        let head = try BundleFile.pread(part.fd, offset: start, count: Int(headCount), path: part.path)
        let tail = try BundleFile.pread(part.fd, offset: part.size - tailCount, count: Int(tailCount), path: part.path)
        do { return try Digest.of(head + tail) } catch { throw BundleError.library("cannot hash \(part.path): \(error)") }
    }

    /// Reads `count` bytes at bundle offset `offset` into the front of `bytes` (growing it only
    /// when too small), across parts as needed.
    func pread(offset: Int64, count: Int, into bytes: inout [UInt8]) throws(BundleError) {
        if bytes.count < count { bytes = [UInt8](repeating: 0, count: count) }
        var done = 0
        var index = partIndex(containing: offset)
        while done < count {
            guard index < parts.count else { throw BundleError.truncated(name, "it is shorter than its seek table says") }
            let part = parts[index]
            let within = offset + Int64(done) - part.offset
            let take = Int(min(Int64(count - done), part.size - within))
            if take > 0 {
                try BundleFile.pread(part.fd, offset: within, count: take, path: part.path, into: &bytes, at: done)
                done += take
            }
            index += 1
        }
    }

    func pread(offset: Int64, count: Int) throws(BundleError) -> [UInt8] {
        var bytes: [UInt8] = []
        try pread(offset: offset, count: count, into: &bytes)
        return Array(bytes.prefix(count))
    }

    private func partIndex(containing offset: Int64) -> Int {
        var low = 0, high = parts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if parts[middle].offset <= offset { low = middle } else { high = middle - 1 }
        }
        return low
    }

    /// After a failure: the first part whose bytes differ from what the table lists, named in
    /// a sentence (a damaged part shows first as a bad frame, wherever that frame ends). Reads
    /// every part once; nil without a table or when every part matches.
    public func damagedPart() -> BundleError? {
        guard let table else { return nil }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        for (index, part) in parts.enumerated() {
            let digester = PartDigester(start: part.offset)
            var offset: Int64 = 0
            while offset < part.size {
                let count = Int(min(Int64(buffer.count), part.size - offset))
                guard (try? BundleFile.pread(part.fd, offset: offset, count: count, path: part.path, into: &buffer)) != nil else { return nil }
                buffer.withUnsafeBytes { digester.update(UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }
                offset += Int64(count)
            }
            if (try? digester.finish().sha256) != table.parts[index].sha256 {
                return .verification("\(part.path) is damaged: its SHA-256 differs from the one \(PartsTable.tablePath(bundlePath)) lists for part \(index + 1) (copy it again)")
            }
        }
        return nil
    }

    /// A front-to-back reader of the bundle's bytes from its start.
    func cursor() -> Cursor { Cursor(input: self) }

    /// Reads the bundle in order, part after part; with a parts table, each part's SHA-256 is
    /// compared with the table's when its last byte has been read.
    final class Cursor {
        let input: BundleInput
        private var index = 0
        private var within: Int64 = 0
        private var digester: PartDigester?
        /// Sees every byte read, in order (join copies the bundle through it).
        var onRead: ((UnsafeRawBufferPointer) throws -> Void)?

        init(input: BundleInput) {
            self.input = input
            if input.table != nil { digester = PartDigester(start: 0) }
        }

        /// Up to `count` bytes into `buffer`; 0 at the end of the bundle.
        func read(_ buffer: UnsafeMutableRawPointer, _ count: Int) throws -> Int {
            while index < input.parts.count {
                let part = input.parts[index]
                if part.path == "-" {
                    while true {
                        let got = Foundation.read(part.fd, buffer, count)
                        if got < 0, errno == EINTR { continue }
                        guard got >= 0 else { throw BundleError.system("read", input.name) }
                        try onRead?(UnsafeRawBufferPointer(start: buffer, count: got))
                        return got
                    }
                }
                let take = Int(min(Int64(count), part.size - within))
                if take == 0 {
                    try finishPart()
                    continue
                }
                let got = Foundation.pread(part.fd, buffer, take, off_t(within))
                if got < 0, errno == EINTR { continue }
                guard got > 0 else {
                    throw got == 0 ? BundleError.truncated(part.path, "it is shorter than it was when opened") : BundleError.system("read", part.path)
                }
                within += Int64(got)
                let bytes = UnsafeRawBufferPointer(start: buffer, count: got)
                digester?.update(bytes)
                try onRead?(bytes)
                return got
            }
            return 0
        }

        /// At a part's end: its digest against the table's, then on to the next part.
        private func finishPart() throws {
            let part = input.parts[index]
            if let digester, let table = input.table {
                guard try digester.finish().sha256 == table.parts[index].sha256 else {
                    throw BundleError.verification("\(part.path) is damaged: its SHA-256 differs from the one \(PartsTable.tablePath(input.bundlePath)) lists for part \(index + 1) (copy it again)")
                }
                self.digester = PartDigester(start: part.offset + part.size)
            }
            index += 1
            within = 0
        }
    }
}
