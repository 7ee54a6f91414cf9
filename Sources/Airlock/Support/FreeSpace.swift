import Bundle
import Foundation

/// The free-space check made before a command writes a large output (`pack`, `unpack`): it
/// refuses to start, naming both numbers, rather than fill the disk half-way (exit 6).
public enum FreeSpace {
    /// Bytes an unprivileged user may still write on the file system that holds `path` (or its
    /// closest existing ancestor).
    public static func available(at path: String) throws(AirlockError) -> (bytes: Int64, folder: String) {
        var folder = path.isEmpty ? "." : path
        var info = statvfs()
        while statvfs(folder, &info) != 0 {
            guard errno == ENOENT else { throw AirlockError.io(BundleError.system("check the free space of", folder).description) }
            let up = parentFolder(of: folder)
            let next = up.isEmpty ? "." : up
            if next == folder { throw AirlockError.io(BundleError.system("check the free space of", folder).description) }
            folder = next
        }
        return (Int64(info.f_bavail) * Int64(info.f_frsize), folder)
    }

    /// Refuses when the file system of `folder` (where `output` will be; it need not exist yet)
    /// has less than `needed` bytes free. `what` names the output ("the bundle"), `estimate` says
    /// how `needed` was worked out.
    public static func require(_ needed: Int64, for output: String, in folder: String, what: String, estimate: String, nothingDone: String) throws(AirlockError) {
        let (free, folder) = try available(at: folder)
        guard free < needed else { return }
        throw AirlockError.io("not enough free space for \(output): \(what) needs up to \(ByteCount.format(needed)) (\(needed) bytes, \(estimate)), but \(folder) has only \(ByteCount.format(free)) (\(free) bytes) free; \(nothingDone) (free some space, or write elsewhere)")
    }
}
