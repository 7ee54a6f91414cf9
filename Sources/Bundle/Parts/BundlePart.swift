import Foundation
import OCI

/// One blob's tar entry, compressed into frames in a file of its own, ready to be appended.
public struct BundlePart: Sendable {
    let path: String
    let name: String
    let descriptor: Descriptor?
    /// [compressed, decompressed] per frame.
    let frames: [[Int64]]
    /// Tar-stream offset of the data relative to the part's start.
    let dataOffset: Int64
    let size: Int64

    /// The bytes this part adds to the bundle.
    public var compressedSize: Int64 { frames.reduce(0) { $0 + $1[0] } }
}
