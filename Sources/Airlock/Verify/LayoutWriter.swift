import Bundle
import Foundation
import OCI

/// The files of one OCI layout being written: blobs land under their names once verified, and
/// index.json and oci-layout come last, when the marker goes.
final class LayoutWriter {
    let directory: String
    let blobs: String
    private var current: (descriptor: Descriptor, output: FileOutput)?

    init(directory: String) {
        self.directory = directory
        self.blobs = directory + "/blobs/sha256"
    }

    /// The marker comes first, so whatever an interruption leaves in DIR is recognised as ours.
    func begin(marker: Digest) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let output = try FileOutput(creating: "\(directory)/\(Unpacker.markerName)")
            try output.write(Array("\(marker)\n".utf8))
            try output.sync()
            try FileManager.default.createDirectory(atPath: blobs, withIntermediateDirectories: true)
        } catch let error as BundleError {
            throw error
        } catch {
            throw AirlockError.io("cannot create \(blobs): check the path and permissions")
        }
    }

    func write(_ descriptor: Descriptor, _ bytes: UnsafeRawBufferPointer) throws {
        try open(descriptor)
        try current?.output.write(bytes)
    }

    func commit(_ descriptor: Descriptor) throws {
        try open(descriptor)  // an empty blob gets no data callback
        guard let done = current else { return }
        try done.output.sync()
        guard rename(done.output.path, "\(blobs)/\(descriptor.digest.hex)") == 0 else {
            throw BundleError.system("rename", done.output.path)
        }
        current = nil
    }

    private func open(_ descriptor: Descriptor) throws {
        if current?.descriptor.digest != descriptor.digest {
            current = (descriptor, try FileOutput(creating: "\(blobs)/.\(descriptor.digest.hex).partial"))
        }
    }

    func finish(indexJSON: [UInt8]) throws {
        for (name, bytes) in [("index.json", indexJSON), ("oci-layout", OCILayout.layoutFile)] {
            let output = try FileOutput(creating: "\(directory)/\(name)")
            try output.write(bytes)
            try output.sync()
        }
        guard unlink("\(directory)/\(Unpacker.markerName)") == 0 else {
            throw BundleError.system("remove", "\(directory)/\(Unpacker.markerName)")
        }
    }

    /// Removes what an unpack writes (after a failure).
    func remove(directoryWasNew: Bool) {
        current = nil
        let fileManager = FileManager.default
        for name in ["blobs", "index.json", "oci-layout", Unpacker.markerName] {
            try? fileManager.removeItem(atPath: "\(directory)/\(name)")
        }
        if directoryWasNew { try? fileManager.removeItem(atPath: directory) }
    }
}
