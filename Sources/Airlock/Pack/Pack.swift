import Bundle
import Foundation
import Logging
import NIOCore
import OCI
import Registry
import NIOConcurrencyHelpers

/// What to pack.
public struct PackRequest: Sendable {
    public var name: String
    public var version: String
    public var spec: String?
    public var patterns: [ImagePattern]
    public var platforms: [Platform]?
    public var output: String
    public var signers: [PrivateKey]
    public var concurrency: Int
    /// Make a delta: leave out every blob this earlier bundle already holds.
    public var base: BundleHeader?
    /// Where bytes fetched and images finished are reported.
    public var progress = TransferProgress()
    /// A pattern term that matches no tag is an error instead of a warning.
    public var strict = false
    /// Told each pattern term that matches no tag, as soon as it is known (before any fetch).
    public var warnUnmatched: @Sendable (String) -> Void = { _ in }
    /// Signatures, SBOMs and attestations to bring along (`--no-referrers`, `--referrers-type`).
    public var evidence = EvidenceOptions()
    /// `--cosign-key`: every image must carry a cosign signature by one of these.
    public var cosignKeys: [PublicKey] = []
    /// OCI chart repositories and the versions to take (`charts:` with `ref`, `--chart REF:PATTERN`).
    public var charts: [ImagePattern] = []
    /// Local chart archives (`charts:` with `path`, `--chart PATH`).
    public var localCharts: [LocalPath] = []
    /// Files and folders (`files:`, `--file`).
    public var files: [LocalPath] = []
    /// Told each image a local chart's values name that the bundle lacks.
    public var warnChartImage: @Sendable (String) -> Void = { _ in }
    /// `--split-size`: write the bundle as parts of at most this many bytes (format-spec §13).
    public var partSize: Int64?

    public init(name: String, version: String, spec: String?, patterns: [ImagePattern], platforms: [Platform]?, output: String, signers: [PrivateKey], concurrency: Int = 4) {
        self.name = name
        self.version = version
        self.spec = spec
        self.patterns = patterns
        self.platforms = platforms
        self.output = output
        self.signers = signers
        self.concurrency = concurrency
        self.base = nil
    }
}

/// `pack --json` (format-spec/json/pack.schema.json).
public struct PackResult: Sendable, Encodable {
    public let name: String
    public let version: String
    public let path: String
    /// The parts written (`B.001`, …) with `--split-size`; absent otherwise.
    public let parts: [String]?
    /// Bytes of the bundle file (of all its parts together).
    public let size: Int64
    public let manifestDigest: Digest
    public let images: [ImageReport]
    public let blobCount: Int
    public let uniqueBytes: Int64
    public let signers: [SignatureReport.Signer]
    /// Pattern terms that matched no tag (`REG/REPO:TERM`).
    public let unmatched: [String]
    /// Signatures, SBOMs and attestations packed, per image.
    public let evidence: [EvidenceSummary]
    /// Images a local chart's values.yaml names that the bundle does not hold.
    public let missingChartImages: [String]
}

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
        let resolver = TagResolver(transport: transport)
        var selected: [(ImagePattern, ResolvedTag)] = []
        let chartPatterns = Set(request.charts)
        var seen: Set<String> = []
        var unmatched: [String] = []
        let progress = request.progress
        progress.begin("resolve", totalBytes: 0)
        for pattern in request.patterns + request.charts {
            progress.working(on: pattern.description)
            let resolution = try await resolver.resolve(pattern, strict: request.strict)
            resolution.unmatched.forEach(request.warnUnmatched)
            unmatched += resolution.unmatched
            for tag in resolution.tags where seen.insert(tag.name).inserted {
                selected.append((pattern, tag))
            }
        }
        logger.info("packing \(selected.count) images")

        // 2. Walk each image's graph.
        let platforms = request.platforms
        let cache = EvidenceCache()
        let walked = try await BoundedConcurrency.map(selected, limit: request.concurrency) { pattern, resolved in
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
        } + local.map(Self.walked)
        try Self.checkNames(walked)

        // 3. Unique blobs: manifests first, then the rest, each by digest.
        var unique: [Digest: PackedBlob] = [:]
        for image in walked {
            for blob in image.blobs + image.evidence.flatMap(\.blobs) where unique[blob.descriptor.digest] == nil || (unique[blob.descriptor.digest]?.bytes == nil && blob.bytes != nil) {
                unique[blob.descriptor.digest] = blob
            }
        }
        var ordered = unique.values.sorted { a, b in
            let am = MediaType.isManifest(a.descriptor.mediaType), bm = MediaType.isManifest(b.descriptor.mediaType)
            return am != bm ? am : a.descriptor.digest < b.descriptor.digest
        }
        var base: BundleManifest.Base?
        if let old = request.base {
            // A delta holds only what the base lacks; it still describes every image completely.
            let inBase = BundleDiff.allBlobs(old.manifest)
            let external = ordered.filter { inBase[$0.descriptor.digest] != nil }.map(\.descriptor)
            ordered.removeAll { inBase[$0.descriptor.digest] != nil }
            base = BundleManifest.Base(name: old.manifest.name, version: old.manifest.version,
                                       manifestDigest: old.manifestDigest, externalBlobs: external, chain: old.manifest.base?.lineage)
            logger.info("delta against \(old.manifest.name) \(old.manifest.version): \(external.count) blobs left to the base")
        }

        // 4. Names in index.json: repository path and tag, with the registry when two sources clash.
        let paths = Dictionary(grouping: walked) { $0.isLocal ? $0.resolved.repository : Self.path(of: $0.resolved.repository) }
        var images: [BundleManifest.Image] = []
        var indexEntries: [Descriptor] = []
        var blobsOfImage: [(String, Set<Digest>)] = []
        var evidenceOfImage: [[BundleManifest.Evidence]] = []
        for image in walked {
            let path = image.isLocal ? image.resolved.repository : Self.path(of: image.resolved.repository)
            let clash = Set(paths[path]?.map(\.resolved.repository) ?? []).count > 1
            let base = clash ? image.resolved.repository : path
            let refName = Reference.spelled(base, tagOr: image.top.digest, tag: image.resolved.tag)
            let source = image.resolved.name
            let total = Set(image.blobs.map(\.descriptor)).reduce(Int64(0)) { $0 + $1.size }
            images.append(BundleManifest.Image(
                source: image.resolved.repository, tag: image.resolved.tag, pattern: image.pattern,
                digest: image.top.digest, mediaType: image.top.mediaType, size: Int64(image.top.bytes.count),
                platforms: image.platforms, sourceDigest: image.sourceDigest, refName: refName, totalSize: total,
                kind: image.kind, artifact: image.artifact))
            indexEntries.append(Descriptor(
                mediaType: image.top.mediaType, digest: image.top.digest, size: Int64(image.top.bytes.count),
                annotations: [OCILayout.refNameAnnotation: refName, OCILayout.imageNameAnnotation: source]))
            blobsOfImage.append((refName, Set(image.blobs.map(\.descriptor.digest))))
            evidenceOfImage.append(image.evidence.map { Self.entry($0.evidence, image: refName) })
        }
        let order = images.indices.sorted { images[$0].refName < images[$1].refName }
        images = order.map { images[$0] }
        indexEntries = order.map { indexEntries[$0] }
        let indexJSON = try OCILayout.indexJSON(indexEntries)
        let manifest = BundleManifest(
            name: request.name, version: request.version, created: created.text, spec: request.spec, images: images,
            index: Descriptor(mediaType: MediaType.ociIndex, digest: try Digest.of(indexJSON), size: Int64(indexJSON.count)),
            blobs: ordered.map(\.descriptor), base: base, tool: "airlock \(AirlockVersion.current)",
            evidence: order.flatMap { evidenceOfImage[$0] }, cosignKeys: request.cosignKeys.map(\.id))
        try Self.checkCosign(manifest, keys: request.cosignKeys, fetched: Array(unique.values))
        let missingChartImages = Self.missingChartImages(local, images: images)
        missingChartImages.forEach(request.warnChartImage)

        // 5. Room for it all, known from the manifests before a layer is fetched.
        let metadataSizes = [Int64(try manifest.encoded().count), Int64(OCILayout.layoutFile.count), Int64(indexJSON.count)]
        try Self.checkSpace(for: request.output, blobs: ordered.map(\.descriptor.size), metadata: metadataSizes)
        if let partSize = request.partSize {
            let bound = BundleWriter.sizeBound(blobSizes: ordered.map(\.descriptor.size), metadataSizes: metadataSizes)
            guard (bound + partSize - 1) / partSize <= Int64(PartsTable.maxParts) else {
                throw AirlockError.usage("the bundle may take up to \(ByteCount.format(bound)), more than \(PartsTable.maxParts) parts of \(ByteCount.format(partSize)); choose a larger --split-size (nothing was fetched)")
            }
        }

        // 6. Fetch and compress every blob once, in parallel, then lay the bundle out in order.
        let writer = try BundleWriter(outputPath: request.output, mtime: created.seconds)
        do {
            let transport = self.transport
            let logger = self.logger
            let packed = Set(ordered.map(\.descriptor.digest))
            let completion = ImageCompletion(blobsOfImage.map { ($0.0, $0.1.intersection(packed)) })
            progress.begin("fetch", totalBytes: ordered.reduce(0) { $0 + $1.descriptor.size }, items: images.count)
            let parts = try await BoundedConcurrency.map(ordered, limit: request.concurrency) { blob in
                let part: BundlePart
                if let kept = writer.reusablePart(for: blob.descriptor) {
                    // Fetched and checked by an earlier run that was interrupted.
                    progress.add(blob.descriptor.size)
                    part = kept
                } else {
                    part = try await writer.part(for: blob.descriptor) { sink in
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
                for name in completion.done(blob.descriptor.digest) { progress.itemDone("fetched \(name)") }
                return part
            }
            progress.begin("write", totalBytes: 0)
            progress.working(on: request.output)
            let result = try writer.finish(manifest: manifest, indexJSON: indexJSON, parts: parts, signers: request.signers, partSize: request.partSize)
            return PackResult(
                name: request.name, version: request.version,
                path: result.path, parts: result.parts.isEmpty ? nil : result.parts, size: result.size, manifestDigest: result.manifestDigest, images: images.map(ImageReport.init),
                blobCount: ordered.count, uniqueBytes: ordered.reduce(0) { $0 + $1.descriptor.size },
                signers: request.signers.map(SignatureReport.Signer.init(signing:)), unmatched: unmatched, evidence: EvidenceSummary.of(manifest),
                missingChartImages: missingChartImages)
        } catch {
            writer.discard()
            throw error
        }
    }

    /// Refuses (exit 6) when the output's file system cannot hold the bundle at the pack's peak
    /// (format-spec §13.4); parts an interrupted pack kept there count as already written.
    static func checkSpace(for output: String, blobs: [Int64], metadata: [Int64]) throws {
        let needed = BundleWriter.spaceNeeded(blobSizes: blobs, metadataSizes: metadata) - BundleWriter.keptBytes(outputPath: output)
        try FreeSpace.require(needed, for: output, in: parentFolder(of: output), what: "the bundle", estimate: "estimated from the source manifests: \(blobs.count) blobs of \(ByteCount.format(blobs.reduce(0, +))) stored at worst uncompressed",
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

    /// Fetches an image's manifests (and configs, for platforms), applying the platform filter.
    func walk(_ resolved: ResolvedTag, pattern: ImagePattern, platforms: [Platform]?) async throws -> Walked {
        let registry = pattern.repository.registry
        let repository = pattern.repository.repository
        let client = transport.client(for: registry)
        let name = resolved.name
        let top = try await client.manifest(repository: repository, reference: resolved.digest.description)
        var blobs: [PackedBlob] = []

        func source(_ document: ManifestDocument) -> PackedBlob {
            PackedBlob(descriptor: document.descriptor(), registry: registry, repository: repository, bytes: document.bytes)
        }

        /// Adds an image manifest's config and layers; returns the platform its config names.
        func addImage(_ document: ManifestDocument, declared: Platform?) async throws -> Platform? {
            guard case .image(let manifest) = document.content else { return declared }
            let config = manifest.config
            var configBytes: [UInt8]?
            var platform = declared
            if config.size <= 4 << 20, declared == nil {
                var bytes: [UInt8] = []
                try await client.blob(config, repository: repository) { bytes.append(contentsOf: $0.readableBytesView) }
                configBytes = bytes
                platform = Self.platform(ofConfig: bytes)
            }
            blobs.append(PackedBlob(descriptor: config, registry: registry, repository: repository, bytes: configBytes))
            for layer in manifest.layers {
                blobs.append(PackedBlob(descriptor: layer, registry: registry, repository: repository, bytes: nil))
            }
            return platform
        }

        switch top.content {
        case .image:
            let platform = try await addImage(top, declared: nil)
            if let platforms, let platform, !platforms.contains(where: { platform.matches($0) }) {
                throw AirlockError.notFound("\(name) is a single \(platform) image; it has nothing for \(platforms.map(\.description).joined(separator: ", "))")
            }
            blobs.append(source(top))
            return Walked(resolved: resolved, pattern: pattern.tags.description, top: top, sourceDigest: nil, platforms: platform.map { [$0.description] } ?? [],
                          blobs: blobs, subjects: [top.digest])

        case .index(let index):
            let kept = Self.filter(index.manifests, platforms: platforms)
            guard kept.contains(where: { !BuildxAttestation.isAttestation($0) }) else {
                let available = index.manifests.compactMap(\.platform?.description).joined(separator: ", ")
                throw AirlockError.notFound("\(name) has no image for \(platforms?.map(\.description).joined(separator: ", ") ?? "any platform") (it has: \(available))")
            }
            var names: [String] = []
            for child in kept {
                let document = try await client.manifest(repository: repository, reference: child.digest.description)
                guard document.digest == child.digest else {
                    throw RegistryError.digestMismatch(what: "manifest \(child.digest) of \(name)", expected: child.digest, actual: document.digest)
                }
                if case .index = document.content {
                    throw AirlockError.usage("\(name) nests an index inside an index; airlock packs one level of index")
                }
                blobs.append(source(document))
                let platform = try await addImage(document, declared: child.platform)
                if let platform, !BuildxAttestation.isAttestation(child) { names.append(platform.description) }
            }
            var stored = top
            var sourceDigest: Digest?
            if kept.count != index.manifests.count {
                // A filtered index is a new document (new digest); the source digest is recorded.
                let filtered = ImageIndex(schemaVersion: 2, mediaType: top.mediaType, artifactType: index.artifactType,
                                          manifests: kept, subject: index.subject, annotations: index.annotations)
                stored = try ManifestDocument(bytes: try CanonicalJSON.compact(filtered), declaredType: top.mediaType)
                sourceDigest = top.digest
            }
            blobs.append(source(stored))
            // Evidence about the source index does not hold for a filtered one (another digest).
            let subjects = (sourceDigest == nil ? [top.digest] : []) + kept.map(\.digest)
            return Walked(resolved: resolved, pattern: pattern.tags.description, top: stored, sourceDigest: sourceDigest, platforms: names,
                          blobs: blobs, subjects: subjects)
        }
    }

    /// The children of an index a platform filter keeps. BuildKit's attestation manifests
    /// (platform unknown/unknown) stay exactly when the child they describe stays.
    static func filter(_ children: [Descriptor], platforms: [Platform]?) -> [Descriptor] {
        guard let platforms else { return children }
        let images = Set(children.filter { child in
            guard !BuildxAttestation.isAttestation(child), let platform = child.platform else { return false }
            return platforms.contains { platform.matches($0) }
        }.map(\.digest))
        return children.filter { child in
            BuildxAttestation.isAttestation(child) ? BuildxAttestation.subject(of: child).map { images.contains($0) } ?? false : images.contains(child.digest)
        }
    }

    /// The platform an image config declares.
    static func platform(ofConfig bytes: [UInt8]) -> Platform? {
        struct Config: Decodable {
            let os: String?
            let architecture: String?
            let variant: String?
        }
        guard let config = try? JSONDecoder().decode(Config.self, from: Data(bytes)), let os = config.os, let architecture = config.architecture else {
            return nil
        }
        return Platform(os: os, architecture: architecture, variant: config.variant)
    }
}


/// Which images have all their blobs done, for one progress line per image.
final class ImageCompletion: Sendable {
    private let pending: NIOLockedValueBox<[(name: String, blobs: Set<Digest>)]>

    init(_ images: [(String, Set<Digest>)]) {
        pending = NIOLockedValueBox(images.map { (name: $0.0, blobs: $0.1) })
    }

    /// Marks a blob done; returns the images that it completed.
    func done(_ digest: Digest) -> [String] {
        pending.withLockedValue { pending in
            var completed: [String] = []
            for i in pending.indices where pending[i].blobs.remove(digest) != nil && pending[i].blobs.isEmpty {
                completed.append(pending[i].name)
            }
            return completed
        }
    }
}
