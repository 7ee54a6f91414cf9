import CZstd

/// Decompresses a stream of frames incrementally, stopping at each frame's end so the caller
/// (`BundleStream`) can take the skippable frames between them. Used for one-pass reading.
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

    /// Feeds `input`; writes up to `output.count` bytes. Returns
    /// (input consumed, output produced). Stops at the end of a frame so the caller can look
    /// for a skippable frame.
    func decode(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer) throws(BundleError) -> (consumed: Int, produced: Int) {
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var outBuffer = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let hint = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
        _ = try Zstd.checkData(hint)
        atFrameBoundary = hint == 0
        return (inBuffer.pos, outBuffer.pos)
    }
}
