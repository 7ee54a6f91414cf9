import Foundation
import OCI

/// Where a blob's bytes go while a part is built: hashed, framed and compressed.
public final class BlobSink {
    let write: (UnsafeRawBufferPointer) throws -> Void
    init(_ write: @escaping (UnsafeRawBufferPointer) throws -> Void) { self.write = write }

    public func write(_ bytes: UnsafeRawBufferPointer) throws { try write(bytes) }
    public func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }
}
