import Bundle
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import OCI
import Registry

/// Pushes a verified bundle into a registry: signatures first; then every blob streamed from the
/// bundle (hashed on the way, confirmed by the registry's `?digest=`), skipped when present,
/// mounted when another target repository has it; manifests children first and tags last, only
/// after every blob of the bundle has verified. A tampered bundle leaves no manifest behind.
public struct Pusher: Sendable {
    let transport: RegistryTransport
    let logger: Logger

    public init(transport: RegistryTransport, logger: Logger) {
        self.transport = transport
        self.logger = logger
    }

    struct Plan: Sendable {
        let image: BundleManifest.Image
        let repository: String
        let tag: String?
        /// Manifests in push order (children before the index), then the image's other blobs.
        let manifests: [ManifestDocument]
        let blobs: [Descriptor]
        /// The image's evidence, pushed after its tag.
        var evidence = EvidencePlan()
        /// What the target reference named before this push (nil: nothing).
        var previous: Digest?
        /// The recorded bundle (`NAME VERSION`) whose image the tag named before this push.
        var previousOwner: String?
        /// `--on-existing-tag skip` and the tag exists: it is not written.
        var keepTag = false

        /// The target already has the tag (or digest) on this image: nothing to send for it.
        var alreadyThere: Bool { previous != nil && previous == manifests.last?.digest }
    }

    public func push(_ request: PushRequest) async throws -> PushResult {
        if request.bundle == "-" { return try await pushStream(request) }
        // 1–2. Trust, then the plan from reads alone with every refusal applied; then the first write.
        let planned = try await planFromFile(request, checks: TargetChecks(collecting: false))
        let (file, manifest, signed, client, plan) = (planned.file, planned.manifest, planned.signed, planned.client, planned.plan)
        let external = Set((manifest.base?.externalBlobs ?? []).map(\.digest))
        let plans = plan.images
        try await plan.mountExternalBlobs(client: client)

        // 3. Blobs: each unique (blob, repository) once; the first repository to get a blob uploads it.
        let book = PushBook()
        let work = Self.blobWork(plans)
        request.progress.begin("push", totalBytes: work.reduce(0) { $0 + $1.descriptor.size }, items: plans.count)
        _ = try await BoundedConcurrency.map(work, limit: request.concurrency) { item in
            let source = external.contains(item.descriptor.digest) && !file.contains(item.descriptor.digest)
                ? Self.externalSource(item.descriptor)
                : Self.bundleSource(file, item.descriptor, progress: request.progress)
            let first = try await self.pushBlob(source, to: item.repositories, client: client, book: book, request: request)
            if case .uploaded? = first {} else { request.progress.add(item.descriptor.size) }  // skipped or failed: done all the same
            return 0
        }

        // 4. Manifests (children first) and tags; only now is anything visible. The ledger record last.
        let result = try await finish(plans, manifest: manifest, signed: signed, request: request, client: client, book: book)
        return try await recordLedger(result, plans: plans, manifest: manifest, signed: signed, ledger: plan.ledger, request: request, client: client)
    }

    /// A bundle file opened as trusted and its push plan: what a push and a preflight share.
    struct FilePlan {
        let file: BundleFile
        let manifest: BundleManifest
        let signed: SignedManifest
        let client: RegistryClient
        let plan: PushPlan
    }

    /// 1. Trust: every required key signed this manifest, and the structure matches it (each
    /// blob's frames are checked as they are read), so push refuses what verify refuses; cosign
    /// signatures when keys are required. 2. The registry answers as one. 3. The plan, from reads
    /// alone, with every refusal applied (`makePushPlan`), and no manifest in the bundle left out.
    func planFromFile(_ request: PushRequest, checks: TargetChecks) async throws -> FilePlan {
        let file = try TrustedBundle.open(request.bundle, trust: request.trust).file
        let header = file.header
        let manifest = header.manifest
        try CosignVerification(keys: request.requiredCosignKeys).check(manifest) { try file.read($0) }
        checks.record("bundle", .pass, "\(manifest.name) \(manifest.version) verifies: \(manifest.images.count, noun: "image"), \(manifest.blobs.count, noun: "blob")")
        let client = transport.client(for: request.naming.registry)
        try await client.checkReachable()
        checks.record("registry", .pass, "\(request.naming.registry) answers as a container registry (\(try await client.scheme()))")
        let signed = SignedManifest(bytes: header.manifestBytes, signatures: header.slot.signatures)
        let plan = try await makePushPlan(manifest, signed: signed, request: request, client: client, checks: checks,
                                          held: { file.contains($0) }) { try file.read($0) }
        try checkOtherManifests(manifest, plans: plan.images) { try file.read($0) }
        return FilePlan(file: file, manifest: manifest, signed: signed, client: client, plan: plan)
    }

    /// Each image's target and the manifests and blobs it needs. `read` returns the bytes of a
    /// manifest the bundle holds; a delta's unchanged manifests come from the target registry.
    func makePlans(
        _ manifest: BundleManifest,
        request: PushRequest,
        client: RegistryClient,
        read: (Descriptor) async throws -> [UInt8]
    ) async throws -> ([Plan], [String]) {
        let external = Set((manifest.base?.externalBlobs ?? []).map(\.digest))
        let descriptors = Dictionary(manifest.blobs.map { ($0.digest, $0) }, uniquingKeysWith: { a, _ in a })
        let catalog = BlobCatalog(manifest)
        var plans: [Plan] = []
        var missingManifests: [String] = []
        let targets = try request.naming.targets(for: manifest.images)
        for (image, (repository, tag)) in zip(manifest.images, targets) {
            let known: (Descriptor) throws -> Bool = { try catalog.check($0, in: image.refName); return true }
            let load: (Digest) async throws -> ManifestDocument? = { digest in
                if let descriptor = descriptors[digest] {
                    return try ImageGraph.document(try await read(descriptor), descriptor, of: image)
                }
                guard external.contains(digest) else {
                    throw AirlockError.verification("image \(image.refName) references \(digest), which the bundle manifest does not list")
                }
                do {
                    return try await client.manifest(repository: repository, reference: digest.description)
                } catch RegistryError.notFound {
                    return nil
                }
            }
            // One seen-set for the image and its evidence: each manifest and blob is pushed once.
            var seen: Set<Digest> = []
            let graph = try await ImageGraph.walk(image.digest, of: image, seen: &seen, known: known, load: load)
            var evidence = EvidencePlan()
            var missing = graph.missing
            for entry in manifest.evidence ?? [] where entry.image == image.refName {
                evidence.entries.append(entry)
                if entry.kind == .referrersIndex, let descriptor = descriptors[entry.manifest.digest] {
                    evidence.sourceIndexes[entry.subject] = try ImageGraph.document(try await read(descriptor), descriptor, of: image)
                } else {
                    let part = try await ImageGraph.walk(entry.manifest.digest, of: image, seen: &seen, known: known, load: load)
                    evidence.documents += part.manifests
                    evidence.blobs += part.blobs
                    missing += part.missing
                }
            }
            missingManifests += missing.map { "\($0) (manifest, \(repository))" }
            var plan = Plan(image: image, repository: repository, tag: tag, manifests: graph.manifests, blobs: graph.blobs)
            plan.evidence = evidence
            plans.append(plan)
        }
        return (plans, missingManifests)
    }

    /// Blobs typed as manifests that no image reaches are not pushed, but must parse all the same
    /// (verify holds every manifest blob to its media type).
    func checkOtherManifests(_ manifest: BundleManifest, plans: [Plan], read: (Descriptor) throws -> [UInt8]) throws {
        let loaded = Set(plans.flatMap { $0.manifests.map(\.digest) + $0.evidence.documents.map(\.digest) })
        for blob in manifest.blobs where MediaType.isManifest(blob.mediaType) && !loaded.contains(blob.digest)
            && blob.size <= Int64(ManifestDocument.maximumSize) {
            do {
                _ = try ManifestDocument(bytes: try read(blob), declaredType: blob.mediaType)
            } catch let error as OCIError {
                throw AirlockError.verification("manifest blob \(blob.digest) is invalid: \(error.description)")
            }
        }
    }

    /// Records what each image's target reference names now. One that already names the image's
    /// manifest is complete: the registry accepted that manifest only once every blob it references
    /// was there, so a re-push costs one HEAD (as go-containerregistry's remote.Write does). One
    /// that names another manifest is a tag this push moves, which the result reports. Only "not
    /// there" means not there: a refusal, a 401 or a cancellation ends the push here.
    func markPresent(_ plans: [Plan], client: RegistryClient, concurrency: Int, skipping refused: Set<String> = []) async throws -> [Plan] {
        let current = try await BoundedConcurrency.map(plans, limit: concurrency) { plan -> Digest? in
            guard let top = plan.manifests.last, !refused.contains(plan.repository) else { return nil }
            let reference = plan.tag ?? top.digest.description
            do {
                return try await client.manifestDescriptor(repository: plan.repository, reference: reference)?.digest
            } catch RegistryError.notFound {
                return nil
            }
        }
        return zip(plans, current).map { plan, current in
            var plan = plan
            plan.previous = current
            return plan
        }
    }

    /// Every blob the plans need, with the repositories that need it (in plan order).
    static func blobWork(_ plans: [Plan]) -> [(descriptor: Descriptor, repositories: [String])] {
        var owners: [Digest: [String]] = [:]
        var descriptors: [Digest: Descriptor] = [:]
        for plan in plans {
            // Evidence may be new for an image the target already has; present blobs cost a HEAD.
            for blob in (plan.alreadyThere ? [] : plan.blobs) + plan.evidence.blobs where !(owners[blob.digest]?.contains(plan.repository) ?? false) {
                owners[blob.digest, default: []].append(plan.repository)
                descriptors[blob.digest] = blob
            }
        }
        return owners.keys.sorted().compactMap { digest in
            descriptors[digest].map { (descriptor: $0, repositories: owners[digest] ?? []) }
        }
    }

    /// Puts one blob into each of `repositories`: the first gets it by HEAD, mount or upload, the
    /// rest by mount from the first. A registry refusal marks that repository failed (unless
    /// --fail-fast); a 401 (one sentence per registry, not per image), a broken connection and
    /// bad bundle bytes abort the whole push before any tag.
    /// Returns how the first repository got it (nil when every repository failed).
    @discardableResult
    func pushBlob(_ source: BlobSource, to repositories: [String], client: RegistryClient, book: PushBook, request: PushRequest) async throws -> BlobPushResult? {
        var holder: String?
        var first: BlobPushResult?
        for repository in repositories {
            if await book.isFailed(repository) { continue }
            do {
                request.progress.working(on: "\(source.descriptor.digest.short) → \(repository)")
                let result = try await client.pushBlob(source, repository: repository, mountFrom: holder.map { [$0] } ?? [])
                await book.record(result)
                if holder == nil { first = result }
                logger.info("blob \(source.descriptor.digest.short) → \(repository): \(result)")
                holder = repository
            } catch let error as RegistryError {
                switch error {
                case .digestMismatch, .sizeMismatch:
                    throw BundleError.damaged(request.bundle, entry: "blob \(source.descriptor.digest)", cause: "\(BundleFile.contentMismatch) (the registry computed another; nothing was tagged)")
                case .unreachable, .tls, .passthrough, .unauthorized:
                    throw error
                default:
                    if request.failFast { throw error }
                    await book.fail(repository, error.description)
                }
            } catch let error as BundleError {
                if case .io = error { throw error }
                throw AirlockError.verification("\(error.description); nothing was tagged")
            }
        }
        return first
    }

    /// Writes each image's manifests (children first) and then its tag, and sums up.
    /// Images are independent of each other, so they are written several at a time.
    func finish(_ plans: [Plan], manifest: BundleManifest, signed: SignedManifest, request: PushRequest, client: RegistryClient, book: PushBook) async throws -> PushResult {
        // The first manifest the registry refuses as such (size, media type) stops the images not yet
        // started: the rest of the bundle is made of the same kinds of manifest.
        let refusedManifest = NIOLockedValueBox<String?>(nil)
        let outcomes = try await BoundedConcurrency.map(plans, limit: request.concurrency) { plan in
            let target = "\(request.naming.registry)/\(plan.repository)"
            let pullBase = "\(request.pullHost ?? request.naming.registry)/\(plan.repository)"
            var error = await book.reason(plan.repository)
            if error == nil, !plan.alreadyThere, let first = refusedManifest.withLockedValue({ $0 }) {
                error = "not pushed: the registry refused a manifest of \(first) before it"
            }
            var evidence: [EvidencePush] = []
            if error == nil {
                do {
                    if !plan.alreadyThere {
                        for document in plan.manifests {
                            if try await client.manifestDescriptor(repository: plan.repository, reference: document.digest.description)?.digest != document.digest {
                                do {
                                    try await client.putManifest(document, repository: plan.repository, reference: document.digest.description)
                                } catch let refusal as RegistryError {
                                    guard let sentence = Self.manifestRefusal(refusal, document: document, image: "\(target)") else { throw refusal }
                                    refusedManifest.withLockedValue { $0 = $0 ?? "\(target)" }
                                    throw RegistryError.manifestRefused(sentence)
                                }
                            }
                        }
                        if let tag = plan.tag, !plan.keepTag, let top = plan.manifests.last {
                            try await client.putManifest(top, repository: plan.repository, reference: tag)
                        }
                    }
                    evidence = try await self.pushEvidence(plan, target: target, client: client)
                } catch let failure as RegistryError {
                    if case .unauthorized = failure { throw failure }
                    if request.failFast { throw failure }
                    error = failure.description
                }
            }
            let shown = Reference.spelled(target, tagOr: plan.image.digest, tag: plan.tag)
            request.progress.itemDone(error.map { "failed \(shown): \($0)" } ?? "\(plan.alreadyThere ? "present" : "pushed") \(shown) (\(plan.image.digest.short))")
            return (evidence, PushResult.Image(
                name: plan.image.refName, mediaType: plan.image.mediaType, size: plan.image.size, platforms: plan.image.platforms,
                source: Reference.spelled(plan.image.source, tagOr: plan.image.sourceDigest ?? plan.image.digest, tag: plan.image.tag),
                sourceDigest: plan.image.sourceDigest ?? plan.image.digest,
                digest: plan.image.digest,
                target: shown, targetByDigest: Reference.spelled(target, tag: nil, digest: plan.image.digest),
                pull: Reference.spelled(pullBase, tagOr: plan.image.digest, tag: plan.tag),
                pullByDigest: Reference.spelled(pullBase, tag: nil, digest: plan.image.digest),
                alreadyPresent: error == nil && plan.alreadyThere,
                kind: plan.image.artifactKind, error: error))
        }
        let evidence = outcomes.flatMap(\.0)
        let results = outcomes.map(\.1)
        let totals = await book.totals
        let moved = zip(plans, results).compactMap { plan, image -> PushResult.TagMove? in
            guard image.error == nil, plan.tag != nil, !plan.keepTag, let previous = plan.previous, previous != image.digest else { return nil }
            return PushResult.TagMove(target: image.target, oldDigest: previous, newDigest: image.digest, ownedBy: plan.previousOwner)
        }
        let skipped = zip(plans, results).compactMap { plan, image -> PushResult.TagSkip? in
            guard image.error == nil, plan.keepTag, let previous = plan.previous else { return nil }
            return PushResult.TagSkip(target: image.target, digest: previous, matches: previous == image.digest)
        }
        var result = PushResult(path: request.bundle, name: manifest.name, version: manifest.version, manifestDigest: try signed.digest(), images: results, blobsUploaded: totals.uploaded, blobsMounted: totals.mounted,
                                blobsPresent: totals.present, imagesAlreadyPresent: plans.filter(\.alreadyThere).count, bytesUploaded: totals.bytes,
                                tagsMoved: moved, evidence: evidence, tagsSkipped: skipped)
        if case .chunked(let size) = await client.uploadMode() {
            result.uploads = PushResult.Uploads(mode: "chunked", chunkSize: size, reason: size == transport.options.chunkSize ? "--chunk-size" : "bodyLimit")
        }
        return result
    }

    /// A manifest refused for what it is (too large, its media type, invalid to this registry),
    /// named with its size and media type; nil for other failures.
    static func manifestRefusal(_ error: RegistryError, document: ManifestDocument, image: String) -> String? {
        guard case .unexpectedStatus(let status, _, _, let detail) = error else { return nil }
        let invalid = status == 400 && ["MANIFEST_INVALID", "UNSUPPORTED", "unsupported", "manifest invalid"].contains { detail?.contains($0) == true }
        guard status == 413 || status == 415 || invalid else { return nil }
        return "the registry refused the manifest \(document.digest.short) of \(image) (\(document.bytes.count) bytes, \(document.mediaType)) with \(status)" + (detail.map { " [\($0)]" } ?? "")
            + "; it does not take manifests of that size or media type (older Harbor, Nexus and Artifactory refuse OCI indexes and artifacts): upgrade it, or push to a registry that does"
    }

    /// Streams a blob out of the bundle (pull-based: flat memory). Each decompressed frame is
    /// handed on in 256 KiB slices, so the HTTP layer never holds a whole frame's copy.
    static func bundleSource(_ file: BundleFile, _ descriptor: Descriptor, progress: TransferProgress) -> BlobSource {
        BlobSource(descriptor: descriptor) {
            let slices = FrameSlices(try file.reader(for: descriptor.digest), progress: progress)
            return AsyncThrowingStream(unfolding: { try slices.next() })
        }
    }

    /// A blob a delta bundle does not hold: it must already be in the target.
    static func externalSource(_ descriptor: Descriptor) -> BlobSource {
        BlobSource(descriptor: descriptor) {
            throw AirlockError.notFound("blob \(descriptor.digest) is not in this delta bundle and not in the target registry; push the base bundle first")
        }
    }
}
