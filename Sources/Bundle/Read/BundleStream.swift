import Foundation
import OCI

/// Reads a bundle front to back through a `BundleInput` cursor (a file, its parts, stdin) in one pass:
/// the signature slot, then the zstd frames decompressed into the tar stream, then the trailing
/// seek table. Memory stays flat: one input and one output buffer, both owned here so that
/// the views handed out stay valid (no pointer escapes a `withUnsafe…` closure).
final class BundleStream {
    private let cursor: BundleInput.Cursor
    let name: String
    var source: BundleInput { cursor.input }
    private static let inputCapacity = 1 << 20
    private static let outputCapacity = 256 << 10
    /// Compressed bytes read but not yet used: `input[start..<end]`.
    private let input = UnsafeMutableRawPointer.allocate(byteCount: inputCapacity, alignment: 16)
    private var start = 0, end = 0
    private var eof = false
    /// The file ended before any tar-stream byte (a copy cut right after the slot).
    var endedBeforeData: Bool { eof && produced == 0 && buffered == 0 }
    /// The last decompressed bytes `next()` handed out; valid until the next call.
    private let output = UnsafeMutableRawPointer.allocate(byteCount: outputCapacity, alignment: 16)
    private let decoder: ZstdStreamDecoder
    private var frameCompressed: Int64 = 0, frameDecompressed: Int64 = 0
    /// [compressed, decompressed] of every data frame seen, as the seek table lists them.
    private(set) var frames: [[Int64]] = []
    /// Skippable frames after the first, with the number of data frames seen before each.
    private(set) var skippable: [(magic: UInt32, payload: [UInt8], afterFrames: Int)] = []
    /// Total bytes read from the file.
    private(set) var consumed: Int64 = 0
    /// Decompressed bytes handed out.
    private(set) var produced: Int64 = 0

    static let maxSkippablePayload = 64 << 20
    /// The largest skippable frame read: the format's limit, lowered once the manifest is known to
    /// what its seek table needs (`SeekTable.maximumJSONSize`).
    var skippableLimit = BundleStream.maxSkippablePayload

    init(_ cursor: BundleInput.Cursor) throws(BundleError) {
        self.cursor = cursor
        self.name = cursor.input.name
        self.decoder = try ZstdStreamDecoder()
    }

    deinit {
        input.deallocate()
        output.deallocate()
    }

    /// Reads more input; false at end of file.
    private func fill() throws -> Bool {
        if start > 0, start == end { start = 0; end = 0 }
        if end == Self.inputCapacity {
            memmove(input, input + start, end - start)
            end -= start
            start = 0
        }
        let count = try cursor.read(input + end, Self.inputCapacity - end)
        if count == 0 { eof = true; return false }
        end += count
        return true
    }

    private var buffered: Int { end - start }

    /// The compressed bytes read but not yet used.
    private var pending: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: input + start, count: end - start) }

    /// Holds the next data frame's header to §3.2 before any of it is decompressed.
    private func checkFrameHeader() throws {
        while buffered < Zstd.maxFrameHeaderSize, !eof { _ = try fill() }
        let header = pending
        if !Zstd.holdsFrameHeader(header) {
            throw BundleError.truncated(name, "it ends inside a frame header")
        }
        _ = try Zstd.checkDataFrameHeader(header, what: "\(name) has a frame at offset \(consumed) that")
    }

    /// Exactly `count` bytes, or an error naming truncation.
    func readExact(_ count: Int, what: String) throws -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(count)
        while result.count < count {
            if buffered == 0, !(try fill()) {
                throw BundleError.truncated(name, "it ends inside \(what)")
            }
            let take = min(buffered, count - result.count)
            result.append(contentsOf: pending.prefix(take))
            start += take
            consumed += Int64(take)
        }
        return result
    }

    /// The next decompressed tar-stream bytes; empty at the end of the file.
    /// The buffer is valid until the next call.
    func next() throws -> UnsafeRawBufferPointer {
        while true {
            if decoder.atFrameBoundary {
                while buffered < 4, !eof { _ = try fill() }
                if buffered == 0 { return UnsafeRawBufferPointer(start: nil, count: 0) }
                guard buffered >= 4 else { throw BundleError.verification("\(name) is truncated or has trailing garbage") }
                let magic = SkippableFrame.readUInt32(pending.prefix(4))
                if SkippableFrame.isSkippable(magic) {
                    let header = try readExact(8, what: "a frame header")
                    let size = Int(SkippableFrame.readUInt32(header.dropFirst(4)))
                    // One skippable frame follows the data: the seek table (§3.2). A second is
                    // refused before it is read, and none is read past what the table may need.
                    guard skippable.isEmpty else { throw BundleError.verification("\(name) has unexpected skippable frames") }
                    guard size <= skippableLimit else {
                        throw BundleError.verification("\(name) has a \(size)-byte skippable frame, more than its seek table may need (\(skippableLimit) bytes)")
                    }
                    let payload = try readExact(size, what: "a skippable frame")
                    skippable.append((magic, payload, frames.count))
                    continue
                }
                guard magic == 0xFD2F_B528 else {
                    throw BundleError.verification("\(name) has bytes that are not a zstd frame at offset \(consumed)")
                }
                if frameCompressed == 0 { try checkFrameHeader() }
            }
            if buffered == 0, !(try fill()) {
                throw BundleError.truncated(name, "it ends in the middle of a compressed frame")
            }
            let (used, made) = try decoder.decode(pending, UnsafeMutableRawBufferPointer(start: output, count: Self.outputCapacity))
            start += used
            consumed += Int64(used)
            frameCompressed += Int64(used)
            frameDecompressed += Int64(made)
            if decoder.atFrameBoundary {
                frames.append([frameCompressed, frameDecompressed])
                frameCompressed = 0
                frameDecompressed = 0
            }
            if made > 0 {
                produced += Int64(made)
                return UnsafeRawBufferPointer(start: output, count: made)
            }
        }
    }
}
