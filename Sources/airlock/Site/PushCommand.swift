import Airlock
import ArgumentParser
import Foundation
import OCI
import Logging
import Registry

struct PushCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Verify a bundle and stream its images into a registry with digests unchanged.",
        discussion: """
            Signatures are checked first; every blob is hashed as it streams from the bundle and \
            confirmed by the registry; blobs already there are skipped, so a re-run after an \
            interruption sends only what is missing. Manifests and tags are written last, only after \
            every blob verified: a tampered bundle leaves no tag behind. Exit status 5 means some \
            images failed (listed) while others were pushed.

            Names: SRC_HOST/path/repo:tag becomes REG/NAMESPACE/path/repo:tag, changed by \
            --strip-components, --registry-namespace and --name-template ({registry} {path} \
            {flatpath} {name} {tag}).

            Ledger: the push reads REG/NAMESPACE/airlock-ledger first and refuses (exit 8, before any \
            write) a bundle that the bundle order puts below a recorded one of its name, or the same version \
            with another manifest; once every image is in \
            place it records the bundle there, last (airlock-status(1), airlock-prune(1)).
            """
    )

    @Argument(help: "The bundle file, or - for standard input (one pass, no temporary copy).", completion: .file())
    var bundle: String

    @Option(help: "Target REGISTRY[/NAMESPACE].")
    var to: String

    @OptionGroup var signers: SignerKeyOptions

    @Option(help: "Write the old → new image names as JSON here.", completion: .file())
    var mapping: String?

    @OptionGroup var cosign: CosignKeyOptions

    @Option(help: "Write a kustomization snippet (images: newName/digest) here.", completion: .file())
    var kustomize: String?

    @Option(help: "Write containerd, CRI-O/podman, OpenShift, EKS Anywhere and kustomize mirror configuration into this folder.", completion: .directory)
    var mirrorConfig: String?

    @Option(help: "Host the cluster pulls from, when it differs from --to's host (for the mapping).")
    var pullHost: String?

    @Option(help: "Blobs uploaded at once.")
    var concurrency: Int = 4

    @Option(help: "Upload blobs in chunks of SIZE (K, M, G suffixes; at least 1M) instead of whole; by default a blob goes whole and falls back to halving chunks when the registry or its proxy refuses the body as too large.")
    var chunkSize: String?

    @Flag(help: "Replace an existing --mapping or --kustomize file airlock did not write (a private key is never replaced).")
    var force = false

    @Flag(help: "Stop at the first failing image instead of pushing the others.")
    var failFast = false

    @Flag(help: "Push even when the ledger records a newer version of this bundle (the record notes the downgrade).")
    var allowDowngrade = false

    @Flag(help: "Push even when the ledger records this name and version with another manifest (the record is replaced; it notes what it replaced).")
    var allowReplace = false

    @Option(help: "A tag that already names another manifest: fail (before any write), skip (leave it; push by digest) or overwrite.")
    var onExistingTag: ExistingTagPolicy = .overwrite

    @Flag(help: "Check the target without writing (registry, ledger, tags, push access to every repository, referrers): one line per check; exit 0 when the push would go through, 8 when it would be refused.")
    var preflight = false

    @Flag(help: "Print the summary as JSON to stdout.")
    var json = false

    @OptionGroup var names: NamingOptions
    @OptionGroup var registry: RegistryOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var progress: ProgressOptions

    func validate() throws {
        try signers.require(for: "push")
        if concurrency < 1 || concurrency > 64 { throw ValidationError("--concurrency must be between 1 and 64") }
        _ = try chunkBytes()
        if bundle == "-", registry.passwordStdin { throw ValidationError("push - reads the bundle from standard input, so the password cannot come from there too; use airlock login or a credential helper") }
    }

    /// `--chunk-size` in bytes (within 1 MiB ... 2 GiB: a chunk is held in memory while it is sent).
    func chunkBytes() throws -> Int? {
        guard let chunkSize else { return nil }
        let size = try ByteSize.parse(chunkSize, option: "--chunk-size")
        guard (Int64(UploadMode.smallestChunk)...(2 << 30)).contains(size) else {
            throw AirlockError.usage("--chunk-size \(chunkSize) is out of range: give 1M to 2G")
        }
        return Int(size)
    }

    func run() async throws {
        if let mapping { try OutputPath.check(mapping, kind: .mapping, force: force, option: "--mapping") }
        if let kustomize { try OutputPath.check(kustomize, kind: .kustomization, force: force, option: "--kustomize") }
        let naming = try names.naming(to: to)
        var request = PushRequest(bundle: bundle, trust: try signers.trust(), naming: naming, concurrency: concurrency,
                                  failFast: failFast, pullHost: pullHost)
        request.cosignKeys = try cosign.publicKeys()
        request.allowDowngrade = allowDowngrade
        request.allowReplace = allowReplace
        request.onExistingTag = onExistingTag
        let logger = output.logger
        let display = progress.display(output)
        request.progress = display.progress
        if let mirrorConfig { try MirrorConfig.check(mirrorConfig, force: force) }
        let uploadChunk = try chunkBytes()
        if preflight { return try await runPreflight(request, naming: naming, chunkSize: uploadChunk, logger: logger) }
        let (result, scheme) = try await display.run { _ in
            try await registry.withTransport(hosts: [naming.registry], schemes: naming.schemes, chunkSize: uploadChunk, logger: logger) { transport in
                let result = try await Pusher(transport: transport, logger: logger).push(request)
                return (result, try await transport.client(for: naming.registry).scheme())
            }
        }
        if let mapping { try Self.writeMapping(result, to: mapping) }
        if let kustomize { try Self.writeKustomize(MirrorConfig.images(pushed: result, registry: naming.registry), to: kustomize) }
        if let mirrorConfig {
            let config = MirrorConfig(mirror: pullHost ?? naming.registry, scheme: scheme, caFiles: registry.connection.caFile,
                                      images: MirrorConfig.images(pushed: result, registry: naming.registry),
                                      title: naming.namespace.map { "\(naming.registry)/\($0)" } ?? naming.registry)
            try config.write(to: mirrorConfig, force: force)
            config.hostsWithoutPrefixMapping.forEach(Output.warning(renamedMirrorHost:))
        }
        if json {
            try Output.json(result)
        } else {
            // -q: only failures, moved tags and the summary.
            for image in result.images where image.error != nil || !output.quiet {
                Output.line(image.error.map { "FAILED \(image.target): \($0)" } ?? "\(image.alreadyPresent ? "present" : "pushed") \(image.target)  \(image.digest.short)")
            }
            for move in result.tagsMoved {
                Output.line("moved \(move.target): \(move.oldDigest) → \(move.newDigest)" + (move.ownedBy.map { " (it was \($0)'s)" } ?? ""))
            }
            for skip in result.tagsSkipped {
                Output.line("kept \(skip.target): it names \(skip.digest)" + (skip.matches ? ", this image" : ", not this image (pushed by digest only)"))
            }
            if let ledger = result.ledger, ledger.error == nil, !output.quiet {
                Output.line("recorded in \(ledger.target)" + (ledger.downgradedFrom.map { " (a downgrade from \($0), --allow-downgrade)" } ?? ""))
            }
            for evidence in result.evidence where evidence.sent && !output.quiet {
                Output.line("pushed \(evidence.kind.rawValue) \(evidence.target)")
            }
            let already = result.imagesAlreadyPresent > 0 ? " (\(result.imagesAlreadyPresent) already present)" : ""
            let chunked = result.uploads.chunkSize.map { size in
                " in \(ByteCount.format(Int64(size))) chunks" + (result.uploads.reason == "bodyLimit" ? " (the registry refused larger request bodies)" : "")
            } ?? ""
            Output.line("\(result.images.count - result.failed.count) of \(result.images.count, noun: "image") pushed\(already); blobs: \(result.blobsUploaded) uploaded (\(ByteCount.format(result.bytesUploaded)))\(chunked), \(result.blobsMounted) mounted, \(result.blobsPresent) already present")
        }
        if !result.failed.isEmpty {
            throw ExitCode(result.failed.count == result.images.count ? ExitStatus.registry.rawValue : ExitStatus.partial.rawValue)
        }
        if let error = result.ledger?.error {
            Output.error("airlock: \(Output.printable(error))")
            throw ExitCode(ExitStatus.partial.rawValue)
        }
    }

    /// `--preflight`: the checks as lines (or JSON), exit 8 when any failed.
    func runPreflight(_ request: PushRequest, naming: TargetNaming, chunkSize: Int?, logger: Logger) async throws {
        let report = try await registry.withTransport(hosts: [naming.registry], schemes: naming.schemes, chunkSize: chunkSize, logger: logger) { transport in
            try await Pusher(transport: transport, logger: logger).preflight(request)
        }
        if json {
            try Output.json(report)
        } else {
            for check in report.checks {
                Output.line("\(check.outcome.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)) \(check.check): \(Output.printable(check.detail))")
            }
            let failed = report.checks.filter { $0.outcome == .fail }.count
            Output.line(report.wouldPush ? "preflight: a push to \(report.target) would go through (nothing was written)"
                                         : "preflight: a push to \(report.target) would be refused (\(failed, noun: "check") failed; nothing was written)")
        }
        if !report.wouldPush { throw ExitCode(ExitStatus.refused.rawValue) }
    }

    struct Mapping: Encodable {
        struct Entry: Encodable {
            let source: String
            let target: String
            let targetByDigest: String
            let pull: String
            let pullByDigest: String
        }
        let images: [Entry]
        /// Signatures, SBOMs and attestations, where each now is.
        let evidence: [Pusher.EvidencePush]
    }

    static func writeMapping(_ result: PushResult, to path: String) throws {
        let entries = result.images.filter { $0.error == nil }.map {
            Mapping.Entry(source: $0.source, target: $0.target, targetByDigest: $0.targetByDigest, pull: $0.pull, pullByDigest: $0.pullByDigest)
        }
        do {
            try Data(CanonicalJSON.pretty(Mapping(images: entries, evidence: result.evidence))).write(to: URL(fileURLWithPath: path))
        } catch {
            throw AirlockError.io("cannot write the mapping to \(path)")
        }
    }

    /// kustomize `images:` entries: one per source name (kustomize matches by name), pointing at
    /// the pull name; pinned by digest when the bundle holds a single image of that name.
    static func writeKustomize(_ images: [MirrorConfig.Image], to path: String) throws {
        let text = MirrorConfig.kustomization(images)
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw AirlockError.io("cannot write the kustomization to \(path)")
        }
    }
}

extension ExistingTagPolicy: ExpressibleByArgument {}
