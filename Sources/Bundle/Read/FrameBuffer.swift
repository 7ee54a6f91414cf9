import Foundation
import OCI

/// Frame-sized buffers straight from the kernel: unmapped when freed, so memory returns at once.
/// (malloc would keep them: glibc raises its mmap threshold after the first free, and later
/// frames come from arenas that do not shrink, so a server's memory kept its highest point.)
enum FrameBuffer {
    static func allocate(_ count: Int) throws(BundleError) -> UnsafeMutableRawBufferPointer {
        let address = mmap(nil, count, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let address, address != MAP_FAILED else {
            throw BundleError.library("cannot allocate \(count) bytes for a frame: \(String(cString: strerror(errno)))")
        }
        return UnsafeMutableRawBufferPointer(start: address, count: count)
    }

    static func release(_ buffer: UnsafeMutableRawBufferPointer) {
        if let address = buffer.baseAddress { munmap(address, buffer.count) }
    }
}
