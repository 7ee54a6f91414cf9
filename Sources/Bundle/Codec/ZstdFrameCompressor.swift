import CZstd

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
