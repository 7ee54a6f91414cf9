import Foundation
import OCI

/// An append-only file written through a file descriptor, or a bundle written as parts of at
/// most `partSize` bytes (`B.001`, `B.002`, …, format-spec §13), each hashed as it is written.
public final class FileOutput {
    public let path: String
    /// The first (or only) file: the one that holds the signature slot.
    let fd: Int32
    public private(set) var offset: Int64 = 0
    private let partSize: Int64?
    private var files: [(path: String, fd: Int32)]
    private var digesters: [PartDigester] = []

    public init(creating path: String) throws(BundleError) {
        self.path = path
        fd = try Self.create(path)
        files = [(path, fd)]
        partSize = nil
    }

    /// Writes `bundle.001`, `bundle.002`, … each at most `partSize` bytes.
    public init(creatingParts bundle: String, partSize: Int64) throws(BundleError) {
        self.path = bundle
        self.partSize = partSize
        let first = PartsTable.partPath(bundle, 1)
        fd = try Self.create(first)
        files = [(first, fd)]
        digesters = [PartDigester(start: 0)]
    }

    private static func create(_ path: String) throws(BundleError) -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BundleError.system("create", path) }
        return fd
    }

    deinit { for file in files { close(file.fd) } }

    /// The files written, in order (one unless writing parts).
    public var paths: [String] { files.map(\.path) }

    public func write(_ bytes: [UInt8]) throws(BundleError) {
        do {
            try bytes.withUnsafeBytes { try write($0) }
        } catch let error as BundleError {
            throw error
        } catch {
            throw BundleError.io("cannot write \(path)")
        }
    }

    public func write(_ buffer: UnsafeRawBufferPointer) throws(BundleError) {
        var rest = buffer
        while !rest.isEmpty {
            var take = rest.count
            if let partSize {
                if offset - digesters[digesters.count - 1].start == partSize {
                    guard files.count < PartsTable.maxParts else {
                        throw BundleError.usage("\(path) would need more than \(PartsTable.maxParts) parts of \(partSize) bytes; choose a larger part size")
                    }
                    let next = PartsTable.partPath(path, files.count + 1)
                    files.append((next, try Self.create(next)))
                    digesters.append(PartDigester(start: offset))
                }
                take = Int(min(Int64(take), partSize - (offset - digesters[digesters.count - 1].start)))
            }
            let chunk = UnsafeRawBufferPointer(rebasing: rest.prefix(take))
            try Self.write(chunk, to: files[files.count - 1])
            digesters.last?.update(chunk)
            offset += Int64(take)
            rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(take))
        }
    }

    private static func write(_ buffer: UnsafeRawBufferPointer, to file: (path: String, fd: Int32)) throws(BundleError) {
        var done = 0
        while done < buffer.count {
            let count = Foundation.write(file.fd, buffer.baseAddress.map { $0 + done }, buffer.count - done)
            if count < 0 {
                if errno == EINTR { continue }
                throw BundleError.system("write", file.path)
            }
            done += count
        }
    }

    public func sync() throws(BundleError) {
        for file in files {
            guard fsync(file.fd) == 0 else { throw BundleError.system("flush", file.path + " to disk") }
        }
    }

    /// The parts table of what was written as parts of the bundle whose manifest is `manifestDigest`.
    func partsTable(manifestDigest: Digest) throws(BundleError) -> PartsTable {
        guard let partSize else { throw BundleError.usage("\(path) was not written as parts") }
        var parts: [PartsTable.Part] = []
        for digester in digesters { parts.append(try digester.finish()) }
        return PartsTable(manifestDigest: manifestDigest, partSize: partSize, parts: parts)
    }
}
