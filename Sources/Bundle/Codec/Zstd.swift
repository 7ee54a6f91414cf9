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

    /// As `check`, for decoding a data frame: a failure there is damage to the bundle's bytes.
    static func checkData(_ code: Int) throws(BundleError) -> Int {
        if ZSTD_isError(code) != 0 {
            throw BundleError.damagedFrame("zstd: \(String(cString: ZSTD_getErrorName(code)).lowercased())")
        }
        return code
    }
}
