import OCI

extension BundleVerifier {
    /// Where a sequential reader found an entry: what the seek table is held to.
    package typealias ObservedEntry = (name: String, header: Int64, size: Int64)

    /// The pass over the entries after the manifest: each checked against the signed manifest as it
    /// streams by, with what the later checks (graph, index, seek table) need kept.
    struct EntryPass {
        let bundle: String
        let manifest: BundleManifest
        let expected: [Digest: Descriptor]
        private(set) var seen: Set<Digest> = []
        private(set) var manifestDocuments: [Digest: ManifestDocument] = [:]
        private(set) var indexBytes: [UInt8] = []
        private(set) var bytesVerified: Int64 = 0
        /// Every entry in stream order, the manifest's first.
        private(set) var observed: [ObservedEntry]
        private var sawLayout = false, sawIndex = false
        private var buffer = [UInt8](repeating: 0, count: 256 << 10)

        /// The manifest documents of the whole bundle when it can be read again (a file), for naming
        /// the images of a damaged blob whose manifests come later in the stream.
        let documentsOnDamage: () -> [Digest: ManifestDocument]

        init(bundle: String, manifest: BundleManifest, first: TarReader.Entry, documentsOnDamage: @escaping () -> [Digest: ManifestDocument] = { [:] }) {
            self.bundle = bundle
            self.documentsOnDamage = documentsOnDamage
            self.manifest = manifest
            self.expected = Dictionary(manifest.blobs.map { ($0.digest, $0) }, uniquingKeysWith: { first, _ in first })
            self.observed = [(first.name, first.headerOffset, first.size)]
        }

        mutating func check(_ entry: TarReader.Entry, tar: TarReader, onBlobData: BlobHandler, onBlobEnd: (Descriptor) throws -> Void) throws {
            observed.append((entry.name, entry.headerOffset, entry.size))
            switch entry.name {
            case "oci-layout":
                guard !sawLayout, entry.isRegularFile, entry.size <= 4096 else { throw Self.duplicateOrBad(entry) }
                sawLayout = true
                let bytes = try tar.readAll(size: entry.size, what: "oci-layout")
                guard bytes == OCILayout.layoutFile else { throw BundleError.verification("oci-layout does not hold the expected layout version") }
            case "index.json":
                try readIndex(entry, tar: tar)
            case "blobs/", "blobs/sha256/":
                guard entry.isDirectory else { throw Self.duplicateOrBad(entry) }
            default:
                let descriptor = try blobDescriptor(entry)
                try readBlob(entry, descriptor: descriptor, tar: tar, onBlobData: onBlobData)
                try onBlobEnd(descriptor)
            }
        }

        private mutating func readIndex(_ entry: TarReader.Entry, tar: TarReader) throws {
            guard !sawIndex, entry.isRegularFile, entry.size == manifest.index.size else {
                throw BundleError.verification(sawIndex ? "index.json appears twice"
                    : !entry.isRegularFile ? "index.json is a \(entry.typeDescription), not a regular file"
                    : "index.json has \(entry.size) bytes, but the manifest says \(manifest.index.size)")
            }
            sawIndex = true
            indexBytes = try tar.readAll(size: entry.size, what: "index.json")
            guard try Digest.of(indexBytes) == manifest.index.digest else {
                throw BundleError.verification("index.json does not match the digest in the signed manifest")
            }
        }

        /// The signed descriptor of a blob entry, which must be a regular file listed once, at its size.
        private mutating func blobDescriptor(_ entry: TarReader.Entry) throws -> Descriptor {
            guard entry.name.hasPrefix("blobs/sha256/"), let digest = try? Digest(algorithm: .sha256, hex: String(entry.name.dropFirst(13))) else {
                throw BundleError.verification("\(bundle) holds an unexpected entry '\(entry.name)' (\(entry.typeDescription))")
            }
            guard entry.isRegularFile else {
                throw BundleError.verification("\(entry.name) is a \(entry.typeDescription), not a regular file")
            }
            guard let descriptor = expected[digest] else {
                throw BundleError.verification("\(bundle) holds blob \(digest), which the signed manifest does not list")
            }
            guard seen.insert(digest).inserted else { throw BundleError.verification("blob \(digest) appears twice") }
            guard entry.size == descriptor.size else {
                throw BundleError.verification("blob \(digest) has \(entry.size) bytes, but the manifest says \(descriptor.size)")
            }
            return descriptor
        }

        /// Streams a blob's bytes to `onBlobData` while hashing them; manifests are kept for the graph check.
        private mutating func readBlob(_ entry: TarReader.Entry, descriptor: Descriptor, tar: TarReader, onBlobData: BlobHandler) throws {
            let digest = descriptor.digest
            let hasher = DigestHasher(digest.algorithm)
            let keep = MediaType.isManifest(descriptor.mediaType) && descriptor.size <= Int64(ManifestDocument.maximumSize)
            var kept: [UInt8] = []
            var total: Int64 = 0
            while true {
                let count: Int
                do {
                    count = try buffer.withUnsafeMutableBytes { try tar.read(into: $0) }
                } catch BundleError.damagedFrame(let cause) {
                    throw damaged(digest, cause: BundleError.undecodable(cause))
                }
                if count == 0 { break }
                total += Int64(count)
                try buffer.withUnsafeBytes { bytes in
                    let chunk = UnsafeRawBufferPointer(rebasing: bytes.prefix(count))
                    hasher.update(chunk)
                    if keep { kept.append(contentsOf: chunk) }
                    try onBlobData(descriptor, chunk)
                }
            }
            guard total == descriptor.size else {
                throw BundleError.truncated(bundle, "blob \(digest) ends after \(total) of \(descriptor.size) bytes")
            }
            let actual = try hasher.finalize()
            guard actual == digest else {
                throw damaged(digest, cause: "is corrupt: its content hashes to \(actual)")
            }
            if keep {
                do {
                    manifestDocuments[digest] = try ManifestDocument(bytes: kept, declaredType: descriptor.mediaType)
                } catch {
                    throw BundleError.verification("manifest blob \(digest) is invalid: \(error.description)")
                }
            }
            bytesVerified += total
        }

        /// The sentence for a damaged blob: the images that use it, from the manifests read so far
        /// or, when the bundle is a file, from all of them (`documentsOnDamage`).
        private func damaged(_ digest: Digest, cause: String) -> BundleError {
            let documents = manifestDocuments.merging(documentsOnDamage()) { known, _ in known }
            return BundleError.damaged(bundle, entry: BlobUsers.describe(digest, in: manifest, documents: documents), cause: cause)
        }

        /// Every fixed entry and every listed blob was there, in exactly the order §3.3 fixes (a reader may rely on it).
        func checkComplete() throws {
            guard sawLayout else { throw BundleError.verification("\(bundle) has no oci-layout file") }
            guard sawIndex else { throw BundleError.verification("\(bundle) has no index.json") }
            let missing = manifest.blobs.filter { !seen.contains($0.digest) }
            if let first = missing.first {
                throw BundleError.verification("\(bundle) lacks blob \(first.digest)" + (missing.count > 1 ? " and \(missing.count - 1) more" : "") + " listed in its manifest (truncated or tampered)")
            }
            let order = [BundleManifest.entryName, "oci-layout", "index.json", "blobs/", "blobs/sha256/"]
                + manifest.blobs.map { OCILayout.blobPath($0.digest) }
            guard observed.map(\.name) == order else {
                throw BundleError.verification("\(bundle) does not hold its entries in the order the format fixes (manifest, oci-layout, index.json, blobs/, blobs/sha256/, then the blobs in manifest order)")
            }
        }

        private static func duplicateOrBad(_ entry: TarReader.Entry) -> BundleError {
            .verification("unexpected or repeated entry '\(entry.name)' (\(entry.typeDescription))")
        }
    }
}
