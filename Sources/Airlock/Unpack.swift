import Bundle
import Foundation
import OCI

/// Writes a verified bundle as a plain OCI image layout in a directory.
///
/// The bundle is verified in the same single pass (so `-` works): blob data goes to a hidden
/// temporary file and is renamed to `blobs/sha256/<hex>` only once its digest is confirmed;
/// `index.json` and `oci-layout` are written last, after everything verified. Names come only
/// from the signed manifest's digests, never from tar paths, so nothing can land outside DIR.
public struct Unpacker {
    public let keys: [PublicKey]
    public let progress: TransferProgress

    public init(keys: [PublicKey], progress: TransferProgress = TransferProgress()) {
        self.keys = keys
        self.progress = progress
    }

    public struct Result: Sendable, Encodable {
        public let directory: String
        public let images: [String]
        public let blobs: Int
        public let bytes: Int64
    }

    public func unpack(bundle: String, to directory: String) throws -> Result {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        if fileManager.fileExists(atPath: directory, isDirectory: &isDirectory) {
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

        var current: (descriptor: Descriptor, handle: FileHandle, path: String)?
        var indexJSON: [UInt8] = []
        let progress = self.progress
        do {
            let report = try BundleVerifier(requiredKeys: keys).verify(
                fd: fd,
                name: bundle == "-" ? "standard input" : bundle,
                onManifest: { manifest in
                    progress.begin("unpack", totalBytes: manifest.blobs.reduce(0) { $0 + $1.size }, deciles: true)
                },
                onBlobData: { descriptor, bytes in
                    progress.add(Int64(bytes.count))
                    if current?.descriptor.digest != descriptor.digest {
                        let path = "\(blobs)/.\(descriptor.digest.hex).partial"
                        guard fileManager.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
                            throw AirlockError.io("cannot write \(path)")
                        }
                        current = (descriptor, handle, path)
                        progress.working(on: descriptor.digest.short)
                    }
                    try current?.handle.write(contentsOf: Data(bytes))
                },
                onBlobEnd: { descriptor in
                    if current?.descriptor.digest != descriptor.digest {
                        // An empty blob gets no data callback.
                        let path = "\(blobs)/.\(descriptor.digest.hex).partial"
                        guard fileManager.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
                            throw AirlockError.io("cannot write \(path)")
                        }
                        current = (descriptor, handle, path)
                    }
                    guard let open = current else { return }
                    try open.handle.synchronize()
                    try open.handle.close()
                    guard rename(open.path, "\(blobs)/\(descriptor.digest.hex)") == 0 else {
                        throw AirlockError.io("cannot rename \(open.path): \(String(cString: strerror(errno)))")
                    }
                    current = nil
                },
                onIndex: { indexJSON = $0 }
            )
            try Data(indexJSON).write(to: URL(fileURLWithPath: directory + "/index.json"))
            try Data(OCILayout.layoutFile).write(to: URL(fileURLWithPath: directory + "/oci-layout"))
            return Result(directory: directory, images: report.manifest.images.map(\.refName), blobs: report.blobsVerified, bytes: report.bytesVerified)
        } catch {
            if let open = current {
                try? open.handle.close()
                try? fileManager.removeItem(atPath: open.path)
            }
            throw error
        }
    }
}
