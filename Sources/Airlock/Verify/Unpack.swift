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
///
/// A delta bundle lacks the blobs its bases hold, so it unpacks only with them (`bases`, see
/// `DeltaBase`); the blobs the delta leaves out are taken from a further verified pass over each. While it
/// runs, DIR holds a marker naming the bundle: an interrupted unpack (Ctrl-C, a kill) is carried
/// on by running the same command again.
public struct Unpacker {
    public let trust: Trust
    public let progress: TransferProgress

    public init(trust: Trust, progress: TransferProgress = TransferProgress()) {
        self.trust = trust
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

    /// The file that marks DIR as an unpack in progress; it holds the digest of the index.json
    /// being unpacked.
    static let markerName = ".airlock-unpack"

    public func unpack(bundle: String, to directory: String, bases: [String] = []) throws -> Result {
        let given = try bases.map { try DeltaBase.Given.open($0, trust: trust) }
        let resumed = try Self.checkDirectory(directory)
        let layout = LayoutWriter(directory: directory)
        let input = try BundleInput.open(bundle)
        let name = input.name
        var wrote = false
        do {
            var delta: DeltaBase?
            var indexJSON: [UInt8] = []
            let report = try BundleVerifier(trust: trust).verify(
                input: input, progress: progress, phase: "unpack",
                onManifest: { manifest in
                    // Nothing is written before the bundle is known to unpack completely, here.
                    delta = try Self.checkBase(manifest, name: name, bases: given)
                    try Self.checkSpace(for: directory, blobs: manifest.blobs + (delta?.externalBlobs ?? []),
                                        index: manifest.index.size)
                    // The layout's identity: index.json names every image, and so every blob.
                    try Self.claim(directory, for: manifest.index.digest, resumed: resumed)
                    wrote = true
                    try layout.begin(marker: manifest.index.digest)
                },
                onBlobData: { descriptor, bytes in try layout.write(descriptor, bytes) },
                onBlobEnd: { descriptor in try layout.commit(descriptor) },
                onIndex: { indexJSON = $0 })
            for provision in delta?.provisions ?? [] {
                try unpackBase(provision.path, blobs: Set(provision.blobs.map(\.digest)), into: layout)
            }
            let external = delta?.externalBlobs ?? []
            try layout.finish(indexJSON: indexJSON)
            return Result(directory: directory, name: report.manifest.name, version: report.manifest.version, manifestDigest: report.manifestDigest,
                          images: report.manifest.images.map(ImageReport.init), blobCount: report.blobsVerified + external.count,
                          uniqueBytes: report.bytesVerified + external.reduce(0) { $0 + $1.size })
        } catch {
            // Leave DIR as it was, not half a layout that looks usable (only what this run owns).
            if wrote { layout.remove(directoryWasNew: !resumed.existed) }
            throw error
        }
    }

    /// Refuses (exit 6) when DIR's file system cannot hold the layout: every blob's exact size
    /// from the signed manifest, less the blobs an interrupted unpack already left in DIR.
    static func checkSpace(for directory: String, blobs: [Descriptor], index: Int64) throws {
        var needed = index + Int64(OCILayout.layoutFile.count)
        var held: Int64 = 0
        for blob in blobs {
            needed += blob.size
            var info = stat()
            if stat("\(directory)/\(OCILayout.blobPath(blob.digest))", &info) == 0, Int64(info.st_size) == blob.size { held += blob.size }
        }
        try FreeSpace.require(needed - held, for: directory, in: directory, what: "the layout", estimate: "the sizes of its \(blobs.count, noun: "blob"), from the signed manifest",
                              nothingDone: "nothing was written")
    }

    /// Where the blobs a delta leaves out come from (`DeltaBase`); refuses a delta without its bases.
    static func checkBase(_ manifest: BundleManifest, name: String, bases: [DeltaBase.Given]) throws -> DeltaBase? {
        let delta = try DeltaBase.resolve(manifest, name: name, bases: bases)
        if let link = manifest.base, delta == nil {
            throw AirlockError.notFound("\(name) is a delta bundle: \(link.externalBlobs.count) of its blobs are in its base \(link.name) \(link.version); give that bundle with --base OLD to unpack a complete layout (nothing was written)")
        }
        return delta
    }

    /// A further verified pass, over one base, writing only the blobs the delta takes from it.
    func unpackBase(_ base: String, blobs: Set<Digest>, into layout: LayoutWriter) throws {
        _ = try BundleVerifier(trust: trust.forBase).verify(
            input: try BundleInput.open(base), progress: progress, phase: "unpack base",
            onBlobData: { descriptor, bytes in
                if blobs.contains(descriptor.digest) { try layout.write(descriptor, bytes) }
            },
            onBlobEnd: { descriptor in
                if blobs.contains(descriptor.digest) { try layout.commit(descriptor) }
            })
    }

    /// What DIR holds before the unpack: nothing, or an interrupted unpack's marker and blobs.
    struct Resumed {
        let existed: Bool
        /// The index digest an interrupted unpack left in DIR's marker.
        let marker: Digest?
    }

    static func checkDirectory(_ directory: String) throws -> Resumed {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: directory, isDirectory: &isDirectory) else { return Resumed(existed: false, marker: nil) }
        guard isDirectory.boolValue else { throw AirlockError.usage("\(directory) exists and is not a directory") }
        let contents: [String]
        do {
            contents = try fileManager.contentsOfDirectory(atPath: directory)
        } catch {
            throw AirlockError.io("cannot read the directory \(directory): check its permissions")
        }
        if contents.isEmpty { return Resumed(existed: true, marker: nil) }
        let markerPath = "\(directory)/\(markerName)"
        // With the marker, everything here is an unfinished unpack's (index.json may be written, the marker not yet gone).
        guard contents.contains(markerName), Set(contents).isSubset(of: [markerName, "blobs", "index.json", "oci-layout"]),
              let text = try? String(contentsOfFile: markerPath, encoding: .utf8),
              let digest = try? Digest(parsing: text.trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            throw AirlockError.usage("\(directory) is not empty; unpack writes into an empty or new directory")
        }
        return Resumed(existed: true, marker: digest)
    }

    /// An interrupted unpack is carried on only by the same bundle.
    static func claim(_ directory: String, for digest: Digest, resumed: Resumed) throws {
        if let marker = resumed.marker, marker != digest {
            throw AirlockError.usage("\(directory) holds an interrupted unpack of another bundle (index \(marker.short)); remove it or choose another directory")
        }
    }
}
