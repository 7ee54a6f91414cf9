import Bundle
import Foundation
import Logging
import NIOCore
import OCI
import Registry

/// Resolves patterns, fetches every manifest and blob once, and writes a signed bundle.
public struct Packer: Sendable {
    let transport: RegistryTransport
    let logger: Logger

    public init(transport: RegistryTransport, logger: Logger) {
        self.transport = transport
        self.logger = logger
    }

    /// A blob to pack and where to get it (not to be confused with Registry.BlobSource, an upload source).
    struct PackedBlob: Sendable {
        let descriptor: Descriptor
        let registry: String
        let repository: String
        /// Bytes already fetched (manifests, configs).
        let bytes: [UInt8]?
        /// A local file holding the bytes (a chart archive, a file, a folder's tar+gzip).
        var localPath: String? = nil
    }

    /// One image after its graph has been walked.
    struct Walked: Sendable {
        let resolved: ResolvedTag
        /// The tag pattern that selected it (nil for a local chart or file).
        let pattern: String?
        let top: ManifestDocument
        let sourceDigest: Digest?
        let platforms: [String]
        let blobs: [PackedBlob]
        /// The manifests evidence can be about: the index as the source has it, and each child kept.
        let subjects: [Digest]
        var evidence: [EvidenceFinder.Item] = []
        var kind: BundleManifest.Image.Kind = .image
        var artifact: BundleManifest.Image.Artifact?
        /// Made from a local path: `resolved.repository` is `charts/NAME` or `files/NAME`, no registry.
        var isLocal: Bool { artifact?.path != nil }
    }

    public func pack(_ request: PackRequest) async throws -> PackResult {
        try BundleLabel.check(request.name, field: "name")
        try BundleLabel.check(request.version, field: "version")
        let created = try BundleManifest.creationTime(resumed: BundleWriter.interruptedCreationTime(outputPath: request.output))
        // 0. Local charts and files are checked and laid out before anything is fetched.
        let scratch = try Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let local = try Self.localArtifacts(request, created: created, scratch: scratch)
        // 1. Resolve every pattern (newest first), dropping duplicates.
        let (selected, unmatched) = try await resolve(request)
        // 2. Walk each image's graph.
        let walked = try await walk(selected, request: request) + local.map(Self.walked)
        try Self.checkNames(walked)
        // 3. Unique blobs: manifests first, then the rest, each by digest.
        let unique = Self.uniqueBlobs(walked)
        var ordered = unique
        let base = deltaBase(request, ordered: &ordered)
        // 4. Names in index.json, and the manifest that lists it all.
        let listing = try Self.listing(walked)
        let manifest = BundleManifest(
            name: request.name, version: request.version, created: created.text, spec: request.spec, images: listing.images,
            index: Descriptor(mediaType: MediaType.ociIndex, digest: try Digest.of(listing.indexJSON), size: Int64(listing.indexJSON.count)),
            blobs: ordered.map(\.descriptor), base: base, tool: "airlock \(AirlockVersion.current)",
            evidence: listing.evidence, cosignKeys: request.cosignKeys.map(\.id))
        try Self.checkCosign(manifest, keys: request.cosignKeys, fetched: unique)
        let missingChartImages = Self.missingChartImages(local, images: listing.images)
        missingChartImages.forEach(request.warnChartImage)
        // 5. Room for it all, known from the manifests before a layer is fetched.
        try Self.checkRoom(request, manifest: manifest, indexJSON: listing.indexJSON, blobs: ordered)
        // 6. Fetch and compress every blob once, in parallel, then lay the bundle out in order.
        let result = try await write(ordered, manifest: manifest, listing: listing, request: request, created: created)
        return PackResult(
            name: request.name, version: request.version,
            path: result.path, parts: result.parts.isEmpty ? nil : result.parts, size: result.size, manifestDigest: result.manifestDigest,
            images: listing.images.map(ImageReport.init),
            blobCount: ordered.count, uniqueBytes: ordered.reduce(0) { $0 + $1.descriptor.size },
            signers: request.signers.map(SignatureReport.Signer.init(signing:)), unmatched: unmatched, evidence: EvidenceSummary.of(manifest),
            missingChartImages: missingChartImages)
    }

    /// Every pattern's tags, newest first, each tag once (the first pattern to select it keeps it);
    /// and the pattern terms that matched no tag.
    func resolve(_ request: PackRequest) async throws -> (selected: [(ImagePattern, ResolvedTag)], unmatched: [String]) {
        let resolver = TagResolver(transport: transport)
        var selected: [(ImagePattern, ResolvedTag)] = []
        var seen: Set<String> = []
        var unmatched: [String] = []
        request.progress.begin("resolve", totalBytes: 0)
        for pattern in request.patterns + request.charts {
            request.progress.working(on: pattern.description)
            let resolution = try await resolver.resolve(pattern, strict: request.strict)
            resolution.unmatched.forEach(request.warnUnmatched)
            unmatched += resolution.unmatched
            for tag in resolution.tags where seen.insert(tag.name).inserted {
                selected.append((pattern, tag))
            }
        }
        logger.info("packing \(selected.count, noun: "image")")
        return (selected, unmatched)
    }

    /// Walks every selected image's graph, a chart's without the platform filter, and finds its evidence.
    func walk(_ selected: [(ImagePattern, ResolvedTag)], request: PackRequest) async throws -> [Walked] {
        let platforms = request.platforms
        let chartPatterns = Set(request.charts)
        let progress = request.progress
        let cache = EvidenceCache()
        return try await BoundedConcurrency.map(selected, limit: request.concurrency) { pattern, resolved in
            progress.working(on: resolved.name)
            var image = try await self.walk(resolved, pattern: pattern, platforms: chartPatterns.contains(pattern) ? nil : platforms)
            if chartPatterns.contains(pattern) { try Self.markChart(&image) }
            if request.evidence.enabled {
                let finder = EvidenceFinder(
                    client: self.transport.client(for: pattern.repository.registry), registry: pattern.repository.registry,
                    repository: pattern.repository.repository, options: request.evidence, cache: cache,
                    concurrency: request.concurrency, logger: self.logger)
                image.evidence = try await finder.find(about: image.subjects)
            }
            return image
        }
    }

    /// Every blob of every image and its evidence once, manifests first, then by digest; a blob
    /// whose bytes are in hand wins over the same blob still to fetch.
    static func uniqueBlobs(_ walked: [Walked]) -> [PackedBlob] {
        var unique: [Digest: PackedBlob] = [:]
        for image in walked {
            for blob in image.blobs + image.evidence.flatMap(\.blobs) where unique[blob.descriptor.digest] == nil || (unique[blob.descriptor.digest]?.bytes == nil && blob.bytes != nil) {
                unique[blob.descriptor.digest] = blob
            }
        }
        return unique.values.sorted { a, b in
            let am = MediaType.isManifest(a.descriptor.mediaType), bm = MediaType.isManifest(b.descriptor.mediaType)
            return am != bm ? am : a.descriptor.digest < b.descriptor.digest
        }
    }

    /// The base a delta names, with the blobs left to it taken out of `ordered`; nil for a whole bundle.
    func deltaBase(_ request: PackRequest, ordered: inout [PackedBlob]) -> BundleManifest.Base? {
        var base: BundleManifest.Base?
        if let old = request.base {
            // A delta holds only what the base lacks; it still describes every image completely.
            let inBase = BundleDiff.allBlobs(old.manifest)
            let external = ordered.filter { inBase[$0.descriptor.digest] != nil }.map(\.descriptor)
            ordered.removeAll { inBase[$0.descriptor.digest] != nil }
            base = BundleManifest.Base(name: old.manifest.name, version: old.manifest.version,
                                       manifestDigest: old.manifestDigest, externalBlobs: external, chain: old.manifest.base?.lineage)
            logger.info("delta against \(old.manifest.name) \(old.manifest.version): \(external.count, noun: "blob") left to the base")
        }
        return base
    }

    /// The images as the bundle lists them (sorted by name), index.json, and the evidence entries.
    struct Listing {
        var images: [BundleManifest.Image] = []
        var indexJSON: [UInt8] = []
        var evidence: [BundleManifest.Evidence] = []
        /// Each image's name and blobs, in walk order: for one progress line per image fetched.
        var blobsOfImage: [(String, Set<Digest>)] = []
    }

    /// Names in index.json: repository path and tag, with the registry when two sources clash.
    static func listing(_ walked: [Walked]) throws -> Listing {
        let paths = Dictionary(grouping: walked) { $0.isLocal ? $0.resolved.repository : Self.path(of: $0.resolved.repository) }
        var listing = Listing()
        var indexEntries: [Descriptor] = []
        var evidenceOfImage: [[BundleManifest.Evidence]] = []
        for image in walked {
            let path = image.isLocal ? image.resolved.repository : Self.path(of: image.resolved.repository)
            let clash = Set(paths[path]?.map(\.resolved.repository) ?? []).count > 1
            let base = clash ? image.resolved.repository : path
            let refName = Reference.spelled(base, tagOr: image.top.digest, tag: image.resolved.tag)
            let source = image.resolved.name
            let total = Set(image.blobs.map(\.descriptor)).reduce(Int64(0)) { $0 + $1.size }
            listing.images.append(BundleManifest.Image(
                source: image.resolved.repository, tag: image.resolved.tag, pattern: image.pattern,
                digest: image.top.digest, mediaType: image.top.mediaType, size: Int64(image.top.bytes.count),
                platforms: image.platforms, sourceDigest: image.sourceDigest, refName: refName, totalSize: total,
                kind: image.kind, artifact: image.artifact))
            indexEntries.append(Descriptor(
                mediaType: image.top.mediaType, digest: image.top.digest, size: Int64(image.top.bytes.count),
                annotations: [OCILayout.refNameAnnotation: refName, OCILayout.imageNameAnnotation: source]))
            listing.blobsOfImage.append((refName, Set(image.blobs.map(\.descriptor.digest))))
            evidenceOfImage.append(image.evidence.map { Self.entry($0.evidence, image: refName) })
        }
        let order = listing.images.indices.sorted { listing.images[$0].refName < listing.images[$1].refName }
        listing.images = order.map { listing.images[$0] }
        listing.indexJSON = try OCILayout.indexJSON(order.map { indexEntries[$0] })
        listing.evidence = order.flatMap { evidenceOfImage[$0] }
        return listing
    }

    /// Refuses before a layer is fetched: too little room, or more parts than `--split-size` allows.
    static func checkRoom(_ request: PackRequest, manifest: BundleManifest, indexJSON: [UInt8], blobs ordered: [PackedBlob]) throws {
        let metadataSizes = [Int64(try manifest.encoded().count), Int64(OCILayout.layoutFile.count), Int64(indexJSON.count)]
        try Self.checkSpace(for: request.output, blobs: ordered.map(\.descriptor.size), metadata: metadataSizes)
        if let partSize = request.partSize {
            let bound = BundleWriter.sizeBound(blobSizes: ordered.map(\.descriptor.size), metadataSizes: metadataSizes)
            guard (bound + partSize - 1) / partSize <= Int64(PartsTable.maxParts) else {
                throw AirlockError.usage("the bundle may take up to \(ByteCount.format(bound)), more than \(PartsTable.maxParts) parts of \(ByteCount.format(partSize)); choose a larger --split-size (nothing was fetched)")
            }
        }
    }

    /// Fetches and compresses every blob once, in parallel, then lays the bundle out in order;
    /// a failure discards what was written.
    func write(_ ordered: [PackedBlob], manifest: BundleManifest, listing: Listing, request: PackRequest,
               created: (text: String, seconds: Int64)) async throws -> BundleWriter.Result {
        let writer = try BundleWriter(outputPath: request.output, mtime: created.seconds)
        do {
            let progress = request.progress
            let packed = Set(ordered.map(\.descriptor.digest))
            let completion = ImageCompletion(listing.blobsOfImage.map { ($0.0, $0.1.intersection(packed)) })
            progress.begin("fetch", totalBytes: ordered.reduce(0) { $0 + $1.descriptor.size }, items: listing.images.count)
            let parts = try await BoundedConcurrency.map(ordered, limit: request.concurrency) { blob in
                let part = try await self.part(blob, writer: writer, progress: progress)
                for name in completion.done(blob.descriptor.digest) { progress.itemDone("fetched \(name)") }
                return part
            }
            progress.begin("write", totalBytes: parts.reduce(0) { $0 + $1.compressedSize })
            progress.working(on: request.output)
            return try writer.finish(manifest: manifest, indexJSON: listing.indexJSON, parts: parts, signers: request.signers, partSize: request.partSize,
                                     onBytes: progress.add)
        } catch {
            writer.discard()
            throw error
        }
    }

    /// One blob, compressed into the bundle: kept from an interrupted run, or from bytes in hand,
    /// a local file, or the registry.
    func part(_ blob: PackedBlob, writer: BundleWriter, progress: TransferProgress) async throws -> BundlePart {
        if let kept = writer.reusablePart(for: blob.descriptor) {
            // Fetched and checked by an earlier run that was interrupted.
            progress.add(blob.descriptor.size)
            return kept
        }
        return try await writer.part(for: blob.descriptor) { sink in
            if let bytes = blob.bytes {
                try sink.write(bytes)
                progress.add(Int64(bytes.count))
            } else if let path = blob.localPath {
                try Self.copy(path, to: sink, progress: progress)
            } else {
                logger.info("fetching \(blob.descriptor.digest.short) (\(blob.descriptor.size) bytes) from \(blob.registry)/\(blob.repository)")
                progress.working(on: "\(blob.descriptor.digest.short) ← \(blob.repository)")
                try await transport.client(for: blob.registry).blob(blob.descriptor, repository: blob.repository) { chunk in
                    try chunk.withUnsafeReadableBytes { try sink.write($0) }
                    progress.add(Int64(chunk.readableBytes))
                }
            }
        }
    }

    /// Refuses (exit 6) when the output's file system cannot hold the bundle at the pack's peak
    /// (format-spec §13.4); parts an interrupted pack kept there count as already written.
    static func checkSpace(for output: String, blobs: [Int64], metadata: [Int64]) throws {
        let needed = BundleWriter.spaceNeeded(blobSizes: blobs, metadataSizes: metadata) - BundleWriter.keptBytes(outputPath: output)
        try FreeSpace.require(needed, for: output, in: parentFolder(of: output), what: "the bundle", estimate: "estimated from the source manifests: \(blobs.count, noun: "blob") of \(ByteCount.format(blobs.reduce(0, +))) stored at worst uncompressed",
                              nothingDone: "nothing was fetched or written")
    }

    /// The bundle manifest's entry for evidence found about an image named `image` in the bundle.
    static func entry(_ found: FoundEvidence, image: String) -> BundleManifest.Evidence {
        let document = found.document
        let descriptor = Descriptor(mediaType: document.mediaType, digest: document.digest, size: Int64(document.bytes.count),
                                    artifactType: EvidenceKind.artifactType(of: document))
        return BundleManifest.Evidence(image: image, subject: found.subject, kind: found.kind, manifest: descriptor, tag: found.tag)
    }

    /// `--cosign-key`, from what discovery fetched: before a single layer is fetched.
    static func checkCosign(_ manifest: BundleManifest, keys: [PublicKey], fetched: [PackedBlob]) throws {
        let held = Dictionary(fetched.compactMap { blob in blob.bytes.map { (blob.descriptor.digest, $0) } }, uniquingKeysWith: { a, _ in a })
        try CosignVerification(keys: keys).check(manifest) { descriptor in
            guard let bytes = held[descriptor.digest] else {
                throw AirlockError.verification("cosign signature data \(descriptor.digest) was not fetched")
            }
            return bytes
        }
    }

    /// `acme/runtime` of `registry:5000/acme/runtime`.
    static func path(of repository: String) -> String {
        Reference.splitRegistry(repository).path.map(String.init) ?? repository
    }

}
