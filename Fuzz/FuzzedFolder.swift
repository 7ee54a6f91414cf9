import Airlock
import Bundle
import Foundation

/// A folder artifact's archive from bytes (a plain tar or a tar+gzip: libarchive takes both), as
/// `extract` takes one once its digest is proven: decided whole, unpacked into a staging folder and
/// moved into place (`Extractor.stageFolder`, `ExtractStaging`), then removed again.
enum FuzzedFolder {
    /// The folder's name in the signed manifest: every entry must lie below it.
    static let root = "folder"
    /// What stands for extract's DIR, made once and removed at exit (empty by then).
    static let directory: String = {
        let path = "\(FuzzScratch.directory)/airlock-fuzz-\(getpid())-extract"
        mkdir(path, 0o700)
        atexit { rmdir(FuzzedFolder.directory) }
        return path
    }()

    static func check(_ bytes: [UInt8]) {
        guard let staging = try? ExtractStaging(in: directory, avoiding: [root]) else { return }
        defer { staging.remove() }
        // Where extract leaves the proven layer: beside the slot it unpacks into.
        let archive = staging.slot(0) + ".tar.gz"
        guard (try? FileOutput(creating: archive).write(bytes)) != nil,
              let staged = try? Extractor.stageFolder(archive, name: root, signedSize: Int64(bytes.count), at: staging.slot(0), directory: directory)
        else { return }
        let final = directory + "/" + root
        guard (try? staging.commit([.init(from: staged, to: final)], force: false)) != nil else { return }
        try? FileManager.default.removeItem(atPath: final)
    }
}
