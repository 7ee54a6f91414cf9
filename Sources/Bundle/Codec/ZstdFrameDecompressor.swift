import CZstd

/// Decompresses one whole frame, its compressed bytes read in pieces (random access).
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
                    left = try Zstd.checkData(ZSTD_decompressStream(context, &out, &inBuffer))
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
