import Bundle
import Foundation
import OCI

/// Writes a bundle's charts (`NAME-VERSION.tgz`, the archive as `helm package` made it) and files
/// (by name; a folder as a folder) into a directory: signatures and structure first, as push
/// checks them, then each one's bytes proven by digest in one hidden staging folder
/// (`ExtractStaging`); all are renamed into place, together or not at all, only once every digest
/// matched. Names come from the signed manifest and are plain file
/// names (no `/`, `.` or `..`), so nothing lands outside DIR; nothing there is replaced without
/// `force`, and every clash is found before the first byte is written.
public struct Extractor {
    public let trust: Trust
    public let force: Bool

    public init(trust: Trust, force: Bool = false) {
        self.trust = trust
        self.force = force
    }

    /// `extract --json` (format-spec/json/extract.schema.json).
    public struct Result: Sendable, Encodable {
        public let directory: String
        public let name: String
        public let version: String
        public let manifestDigest: Digest
        public let written: [Written]
    }

    /// One chart or file written.
    public struct Written: Sendable, Encodable {
        /// `chart` or `file`.
        public let kind: String
        /// The name written in the directory.
        public let name: String
        /// The bundle's name for it (its `refName`).
        public let source: String
        /// Digest and size of the bytes the bundle holds (for a folder: of its tar+gzip).
        public let digest: Digest
        public let size: Int64
        public let isFolder: Bool
    }

    /// What one chart or file becomes in the directory.
    struct Item {
        let image: BundleManifest.Image
        let layer: Descriptor
        let name: String
        let isFolder: Bool
    }

    public func extract(bundle: String, to directory: String) throws -> Result {
        guard bundle != "-" else { throw AirlockError.usage("extract reads a bundle file (it picks the charts and files out of it); save standard input to a file first") }
        let file = try TrustedBundle.open(bundle, trust: trust).file
        let header = file.header
        let items = try plan(file)
        guard !items.isEmpty else { throw AirlockError.notFound("\(bundle) holds no charts or files (only images: use unpack or push)") }
        try prepare(directory, for: items)
        // Everything is staged and checked before the first name appears, and the names appear
        // together or not at all: a damaged bundle or a failed move leaves DIR as it was.
        let staging = try ExtractStaging(in: directory, avoiding: Set(items.map(\.name)))
        defer { staging.remove() }
        var moves: [ExtractStaging.Move] = []
        for (index, item) in items.enumerated() {
            moves.append(.init(from: try stage(item, from: file, at: staging.slot(index), directory: directory), to: directory + "/" + item.name))
        }
        try staging.commit(moves, force: force)
        let written = items.map { item in
            Written(kind: item.image.kind?.rawValue ?? "file", name: item.name, source: item.image.refName,
                    digest: item.layer.digest, size: item.layer.size, isFolder: item.isFolder)
        }
        return Result(directory: directory, name: header.manifest.name, version: header.manifest.version,
                      manifestDigest: header.manifestDigest, written: written)
    }

    /// Each chart's and file's one layer, from its manifest in the bundle (digest checked).
    func plan(_ file: BundleFile) throws -> [Item] {
        let manifest = file.manifest
        let descriptors = Dictionary(manifest.blobs.map { ($0.digest, $0) }, uniquingKeysWith: { a, _ in a })
        var items: [Item] = []
        for image in manifest.images {
            guard let kind = image.kind, kind != .image, let artifact = image.artifact else { continue }
            guard let descriptor = descriptors[image.digest], file.contains(image.digest) else {
                throw AirlockError.notFound("\(image.refName) is not held by this bundle (a delta leaves it to its base); extract the base bundle")
            }
            let document = try ImageGraph.document(try file.read(descriptor), descriptor, of: image)
            let wanted = kind == .chart ? MediaType.helmChartContent : nil
            guard case .image(let content) = document.content,
                  let layer = content.layers.first(where: { wanted == nil || $0.mediaType == wanted }),
                  kind == .chart || content.layers.count == 1 else {
                throw AirlockError.verification("\(image.refName) is not laid out as a \(kind == .chart ? "Helm chart" : "file") (one \(wanted ?? "") layer)")
            }
            guard let stored = descriptors[layer.digest], file.contains(layer.digest) else {
                throw AirlockError.notFound("\(image.refName) has its content in \(layer.digest), which this bundle does not hold; extract the base bundle")
            }
            let isFolder = kind == .file && layer.annotations?[MediaType.orasUnpackAnnotation] == "true"
            let name = kind == .chart ? "\(artifact.name)-\(artifact.version ?? image.tag ?? "").tgz" : artifact.name
            guard BundleManifest.isPlainFileName(name) else {
                throw AirlockError.verification("\(image.refName) would be written as '\(name)', which is not a plain file name")
            }
            items.append(Item(image: image, layer: stored, name: name, isFolder: isFolder))
        }
        return items
    }

    /// DIR exists (made if not); no two items share a name; nothing is in the way unless `force`.
    func prepare(_ directory: String, for items: [Item]) throws {
        var names: [String: Item] = [:]
        for item in items {
            if let other = names[item.name] {
                throw AirlockError.verification("\(other.image.refName) and \(item.image.refName) would both be written as \(item.name)")
            }
            names[item.name] = item
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw AirlockError.usage("\(directory) exists and is not a directory") }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw AirlockError.io("cannot create the directory \(directory): check the path and permissions")
            }
        }
        for item in items {
            let path = directory + "/" + item.name
            var status = stat()
            guard lstat(path, &status) == 0 else { continue }
            guard force else {
                throw AirlockError.io("\(path) already exists; extract replaces nothing without --force (nothing was written)")
            }
            // Even --force never replaces a private key.
            if status.st_mode & S_IFMT == S_IFREG { try OutputPath.check(path, kind: .bundle, force: true, option: "--to-dir") }
        }
    }

    /// Most bytes a deflate stream can expand to per compressed byte (RFC 1951's 258-byte matches
    /// in 2-bit codes): a folder declaring more than this of its signed size is a bomb.
    static let folderExpansion: Int64 = 1032

    /// Streams one layer out of the bundle, hashing it, to a hidden name in DIR, and proves its
    /// digest before anything else. A folder's archive is then decided whole (`FolderArchive`:
    /// names, duplicates, links, declared sizes within `folderExpansion` of its signed size and
    /// the free space) and only then unpacked under a hidden folder. Returns what is to be renamed
    /// into place.
    func stage(_ item: Item, from file: BundleFile, at staging: String, directory: String) throws -> String {
        let proven = item.isFolder ? staging + ".tar.gz" : staging
        do {
            try copyProven(item, from: file, to: proven)
            guard item.isFolder else { return staging }
            return try Self.stageFolder(proven, name: item.name, signedSize: item.layer.size, at: staging, directory: directory)
        } catch let error as BundleError {
            if case .io = error { throw error }
            throw AirlockError.verification("\(item.image.refName) cannot be extracted: \(error.description); nothing was written")
        }
    }

    /// Decides the folder archive at `archive` (its digest proven, `signedSize` bytes) whole and
    /// unpacks it under the new folder `staging`, as `name`; returns the unpacked folder. The
    /// fuzz target `folder-tar` runs this on every input.
    package static func stageFolder(_ archive: String, name: String, signedSize: Int64, at staging: String, directory: String) throws -> String {
        let decided = try FolderArchive.decide(archive, root: name, maximumBytes: signedSize * folderExpansion + (1 << 20))
        try FreeSpace.require(decided.declaredBytes, for: name, in: directory, what: "the folder \(name)",
                              estimate: "what its archive's entries declare", nothingDone: "nothing was written")
        guard mkdir(staging, 0o700) == 0 else { throw BundleError.system("create", staging) }
        try decided.extract(from: archive, into: staging)
        return staging + "/" + name
    }

    /// The layer's bytes at `path`, their size and digest proven against the signed descriptor.
    func copyProven(_ item: Item, from file: BundleFile, to path: String) throws {
        let reader = try file.reader(for: item.layer.digest)
        let hasher = DigestHasher(item.layer.digest.algorithm)
        var size: Int64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
        defer { buffer.deallocate() }
        let output = try FileOutput(creating: path)
        while true {
            let count = try reader.read(into: buffer)
            guard count > 0 else { break }
            size += Int64(count)
            guard size <= item.layer.size else { break }
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[..<count])
            hasher.update(bytes)
            try output.write(bytes)
        }
        try output.sync()
        guard size == item.layer.size, try hasher.finalize() == item.layer.digest else {
            throw file.damaged(item.layer.digest, cause: BundleFile.contentMismatch)
        }
    }
}
