import Bundle
import Foundation
import OCI

/// Writes a verified bundle as a plain OCI image layout in a directory.
///
/// The bundle is verified in the same single pass (so `-` works): blob data goes to a hidden
/// temporary file and is renamed to `blobs/sha256/<hex>` only once its digest is confirmed;
/// `index.json` and `oci-layout` are written last, after everything verified; a failure removes
/// what was written, leaving DIR as it was. Names come only from the signed manifest's digests,
/// never from tar paths, so nothing can land outside DIR.
public struct Unpacker {
    public let keys: [PublicKey]
    public let progress: TransferProgress

    public init(keys: [PublicKey], progress: TransferProgress = TransferProgress()) {
        self.keys = keys
        self.progress = progress
    }

    /// `unpack --json` (format-spec/json/unpack.schema.json).
    public struct Result: Sendable, Encodable {
        public let directory: String
        public let name: String
        public let version: String
        public let manifestDigest: Digest
        public let images: [ImageReport]
        public let blobCount: Int
        public let uniqueBytes: Int64
    }

    public func unpack(bundle: String, to directory: String) throws -> Result {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        let existed = fileManager.fileExists(atPath: directory, isDirectory: &isDirectory)
        if existed {
            guard isDirectory.boolValue else { throw AirlockError.usage("\(directory) exists and is not a directory") }
            let contents = (try? fileManager.contentsOfDirectory(atPath: directory)) ?? []
            guard contents.isEmpty else { throw AirlockError.usage("\(directory) is not empty; unpack writes into an empty or new directory") }
        }
        let blobs = directory + "/blobs/sha256"
        do {
            try fileManager.createDirectory(atPath: blobs, withIntermediateDirectories: true)
        } catch {
            throw AirlockError.io("cannot create \(blobs): check the path and permissions")
        }
        let fd = try openForReading(bundle)
        defer { close(fd) }

        var current: (descriptor: Descriptor, output: FileOutput)?
        func open(_ descriptor: Descriptor) throws {
            if current?.descriptor.digest != descriptor.digest {
                current = (descriptor, try FileOutput(creating: "\(blobs)/.\(descriptor.digest.hex).partial"))
            }
        }
        var indexJSON: [UInt8] = []
        do {
            let report = try BundleVerifier(requiredKeys: keys).verify(
                fd: fd,
                name: bundle == "-" ? "standard input" : bundle,
                progress: progress,
                phase: "unpack",
                onBlobData: { descriptor, bytes in
                    try open(descriptor)
                    try current?.output.write(bytes)
                },
                onBlobEnd: { descriptor in
                    try open(descriptor)  // an empty blob gets no data callback
                    guard let done = current else { return }
                    try done.output.sync()
                    guard rename(done.output.path, "\(blobs)/\(descriptor.digest.hex)") == 0 else {
                        throw BundleError.system("rename", done.output.path)
                    }
                    current = nil
                },
                onIndex: { indexJSON = $0 }
            )
            for (name, bytes) in [("index.json", indexJSON), ("oci-layout", OCILayout.layoutFile)] {
                let output = try FileOutput(creating: "\(directory)/\(name)")
                try output.write(bytes)
                try output.sync()
            }
            return Result(directory: directory, name: report.manifest.name, version: report.manifest.version, manifestDigest: report.manifestDigest,
                          images: report.manifest.images.map(ImageReport.init), blobCount: report.blobsVerified, uniqueBytes: report.bytesVerified)
        } catch {
            // DIR was new or empty: leave it as it was, not half a layout that looks usable.
            current = nil
            try? fileManager.removeItem(atPath: directory + "/blobs")
            try? fileManager.removeItem(atPath: directory + "/index.json")
            if !existed { try? fileManager.removeItem(atPath: directory) }
            throw error
        }
    }
}
