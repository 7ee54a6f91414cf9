import CZstd

/// Thin wrappers over libzstd with the frame control the bundle format needs:
/// one frame per chunk, content size and checksum in every frame, bounded windows on read.
enum Zstd {
    /// Largest decompressed size of one frame the writer makes.
    static let frameSize = 4 << 20
    /// The most a data frame may decompress to (format-spec §3.2): twice what the writer makes.
    static let maxFrameContentSize = frameSize * 2
    /// The most bytes a zstd frame header takes (ZSTD_FRAMEHEADERSIZE_MAX).
    static let maxFrameHeaderSize = 18

    /// False when `bytes` are the start of a frame header that needs more bytes.
    static func holdsFrameHeader(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var header = ZSTD_frameHeader()
        let status = ZSTD_getFrameHeader(&header, bytes.baseAddress, bytes.count)
        return status == 0 || ZSTD_isError(status) != 0
    }

    /// Checks the header at the front of `bytes` against what every data frame must be
    /// (format-spec §3.2): a declared content size of at most 8 MiB, a checksum, and a window of
    /// at most 8 MiB. A frame that would inflate a small file into gigabytes is refused before it
    /// is decompressed. Returns the declared size; `what` names the frame in errors.
    static func checkDataFrameHeader(_ bytes: UnsafeRawBufferPointer, what: String) throws(BundleError) -> Int {
        var header = ZSTD_frameHeader()
        let status = ZSTD_getFrameHeader(&header, bytes.baseAddress, bytes.count)
        guard ZSTD_isError(status) == 0, header.frameType == ZSTD_frame else {
            throw BundleError.verification("\(what) is not a valid zstd frame")
        }
        guard status == 0 else { throw BundleError.verification("\(what) ends inside its frame header") }
        guard header.frameContentSize != ZSTD_CONTENTSIZE_UNKNOWN, header.frameContentSize <= UInt64(maxFrameContentSize) else {
            throw BundleError.verification("\(what) does not declare a size of at most 8 MiB (damaged, or a decompression bomb)")
        }
        guard header.windowSize <= UInt64(1) << maxWindowLog else {
            throw BundleError.verification("\(what) needs a window of \(header.windowSize) bytes, over the format's 8 MiB")
        }
        guard header.checksumFlag != 0 else { throw BundleError.verification("\(what) has no checksum") }
        return Int(header.frameContentSize)
    }

    /// Readers refuse frames that need a bigger window (decompression bombs): 8 MiB.
    static let maxWindowLog: Int32 = 23

    static func check(_ code: Int, _ what: String) throws(BundleError) -> Int {
        if ZSTD_isError(code) != 0 {
            let name = String(cString: ZSTD_getErrorName(code))
            throw BundleError.verification("\(what): zstd says \(name.lowercased())")
        }
        return code
    }
}

/// Compresses independent frames.
final class ZstdFrameCompressor {
    private let context: OpaquePointer

    init(level: Int32) throws(BundleError) {
        guard let context = ZSTD_createCCtx() else { throw BundleError.library("cannot create a zstd compression context") }
        self.context = context
        _ = try Zstd.check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level), "setting the compression level")
        _ = try Zstd.check(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1), "enabling checksums")
        _ = try Zstd.check(ZSTD_CCtx_setParameter(context, ZSTD_c_contentSizeFlag, 1), "enabling content sizes")
        _ = try Zstd.check(ZSTD_CCtx_setParameter(context, ZSTD_c_windowLog, 22), "setting the window")
    }

    deinit { ZSTD_freeCCtx(context) }

    /// One complete frame holding `input`.
    func frame(_ input: UnsafeRawBufferPointer) throws(BundleError) -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        var output = [UInt8](repeating: 0, count: bound)
        let size = output.withUnsafeMutableBytes { out in
            ZSTD_compress2(context, out.baseAddress, out.count, input.baseAddress, input.count)
        }
        let count = try Zstd.check(size, "compressing")
        output.removeLast(output.count - count)
        return output
    }
}

/// Decompresses one whole frame whose compressed bytes are in memory (random access).
final class ZstdFrameDecompressor {
    private let context: OpaquePointer
    private var piece = [UInt8](repeating: 0, count: pieceSize)
    /// Compressed bytes are read in pieces this large: a frame's compressed form is never held
    /// whole, only its decompressed bytes (stable output, so zstd keeps no window of its own).
    /// Below glibc's mmap threshold, like every buffer a transfer makes and frees.
    static let pieceSize = 64 << 10

    init() throws(BundleError) {
        guard let context = ZSTD_createDCtx() else { throw BundleError.library("cannot create a zstd decompression context") }
        self.context = context
        _ = try Zstd.check(ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, Zstd.maxWindowLog), "limiting the window")
        // ZSTD_d_stableOutBuffer (a macro Swift does not import): the output stays put between calls.
        _ = try Zstd.check(ZSTD_DCtx_setParameter(context, ZSTD_d_experimentalParam2, 1), "decompressing into one buffer")
    }

    deinit { ZSTD_freeDCtx(context) }

    /// Decompresses exactly one frame of `compressedSize` bytes, declaring `expectedSize`, into
    /// the front of `output` (at least `expectedSize` bytes). `read(offset, count, &bytes)` puts
    /// the frame's `count` compressed bytes at `offset` into the front of `bytes`.
    func decompress(compressedSize: Int, into output: UnsafeMutableRawBufferPointer, expectedSize: Int, what: String,
                    read: (Int, Int, inout [UInt8]) throws -> Void) throws {
        guard expectedSize <= output.count else {
            throw BundleError.verification("\(what): the frame does not hold the \(expectedSize) bytes the seek table says")
        }
        _ = try Zstd.check(ZSTD_DCtx_reset(context, ZSTD_reset_session_only), what)
        var out = ZSTD_outBuffer(dst: output.baseAddress, size: expectedSize, pos: 0)
        var offset = 0, remaining = 1
        while offset < compressedSize {
            let count = min(Self.pieceSize, compressedSize - offset)
            try read(offset, count, &piece)
            let context = self.context
            remaining = try piece.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) throws -> Int in
                let input = UnsafeRawBufferPointer(rebasing: bytes[..<count])
                if offset == 0 {
                    let declared = try Zstd.checkDataFrameHeader(input, what: what)
                    guard declared == expectedSize else {
                        throw BundleError.verification("\(what): the frame does not hold the \(expectedSize) bytes the seek table says")
                    }
                }
                var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
                var left = 1
                while inBuffer.pos < inBuffer.size, left != 0 {
                    left = try Zstd.check(ZSTD_decompressStream(context, &out, &inBuffer), what)
                }
                return left
            }
            offset += count
            guard remaining != 0 || offset == compressedSize else {
                throw BundleError.verification("\(what): the frame ends before its compressed size in the seek table")
            }
        }
        guard remaining == 0, out.pos == expectedSize else {
            throw BundleError.verification("\(what): decompressed to \(out.pos) bytes, expected \(expectedSize)")
        }
    }
}

/// Decompresses a stream of frames incrementally, frame by frame, handing skippable frames'
/// payloads to the caller. Used for one-pass reading (stdin, pipes).
final class ZstdStreamDecoder {
    private let context: OpaquePointer
    /// True between frames (the next bytes start a new frame).
    private(set) var atFrameBoundary = true

    init() throws(BundleError) {
        guard let context = ZSTD_createDCtx() else { throw BundleError.library("cannot create a zstd decompression context") }
        self.context = context
        _ = try Zstd.check(ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, Zstd.maxWindowLog), "limiting the window")
    }

    deinit { ZSTD_freeDCtx(context) }

    /// Feeds input at `input[position...]`; writes up to `output.count` bytes. Returns
    /// (input consumed, output produced). Stops at the end of a frame so the caller can look
    /// for a skippable frame.
    func decode(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer) throws(BundleError) -> (consumed: Int, produced: Int) {
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var outBuffer = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let hint = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
        _ = try Zstd.check(hint, "decompressing the bundle")
        atFrameBoundary = hint == 0
        return (inBuffer.pos, outBuffer.pos)
    }
}

/// Skippable frames: magic 0x184D2A50...5F, u32 little-endian size, payload.
enum SkippableFrame {
    static let signatureMagic: UInt32 = 0x184D_2A5A
    static let seekTableMagic: UInt32 = 0x184D_2A5E
    static let headerSize = 8

    static func isSkippable(_ magic: UInt32) -> Bool { magic & 0xFFFF_FFF0 == 0x184D_2A50 }

    static func header(magic: UInt32, size: Int) -> [UInt8] {
        littleEndian(magic) + littleEndian(UInt32(size))
    }

    static func littleEndian(_ value: UInt32) -> [UInt8] {
        (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    static func littleEndian64(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    static func readUInt32<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        bytes.prefix(4).enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * $1.offset) }
    }

    static func readUInt64<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
        bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * $1.offset) }
    }
}
