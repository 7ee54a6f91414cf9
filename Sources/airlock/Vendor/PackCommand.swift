import Airlock
import ArgumentParser
import Bundle
import Foundation
import OCI

struct PackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack",
        abstract: "Pull images selected by version wildcards into one signed, zstd-compressed bundle.",
        discussion: """
            From a spec file (airlock-spec(5)) or from --image patterns with --name and --version. \
            The bundle is written to a temporary file beside OUTPUT and renamed at the end, so an \
            interrupted pack never leaves a file at OUTPUT. Set SOURCE_DATE_EPOCH to fix the creation \
            time; two packs of the same images are then byte-identical (apart from ECDSA signatures, \
            which are randomised: sign with Ed25519 for byte-identical signed bundles).
            """
    )

    @Argument(help: "Spec file (YAML).", completion: .file(extensions: ["yaml", "yml"]))
    var spec: String?

    @Option(name: [.short, .customLong("output")], help: "Bundle file to write.", completion: .file())
    var output: String

    @Option(help: "REGISTRY/REPO:PATTERN to include (repeatable), instead of or besides a spec.")
    var image: [String] = []

    @Option(help: ArgumentHelp("A Helm chart: an OCI chart repository and versions (REG/REPO:PATTERN), or a local .tgz (repeatable).", valueName: "REF:PATTERN|PATH"))
    var chart: [String] = []

    @Option(help: ArgumentHelp("A file or folder to carry, extracted under its own name (repeatable).", valueName: "PATH"), completion: .file())
    var file: [String] = []

    @Option(help: "Bundle name (required with --image and no spec).")
    var name: String?

    @Option(help: "Bundle version (required with --image and no spec).")
    var version: String?

    @Option(help: "Private key to sign with (repeatable).", completion: .file(extensions: ["key"]))
    var key: [String] = []

    @Option(help: "Only these platforms, e.g. linux/amd64,linux/arm64 (default: all).")
    var platform: String?

    @Option(help: "Blobs fetched at once.")
    var concurrency: Int = 4

    @Option(help: "Make a delta bundle: leave out every blob this earlier bundle holds.", completion: .file())
    var base: String?

    @Option(help: "Write OUTPUT.001, OUTPUT.002, … each at most SIZE bytes (K, M, G, T: powers of 1024; fat32: 4 GiB − 1), and OUTPUT.parts.")
    var splitSize: String?

    @Flag(help: "Replace an existing OUTPUT that is not an airlock bundle (a private key is never replaced).")
    var force = false

    @Flag(help: "Print the result as JSON to stdout.")
    var json = false

    @Flag(help: "Fail (exit 7) when a term of a tag pattern matches no tag, instead of warning.")
    var strict = false

    @Flag(help: "Leave signatures, SBOMs and attestations (referrers, cosign tags) behind.")
    var noReferrers = false

    @Option(help: "Only evidence of this kind (signature, sbom, attestation, other) or artifactType (repeatable).")
    var referrersType: [String] = []

    @OptionGroup var cosign: CosignKeyOptions

    @OptionGroup var passphrase: PassphraseOptions
    @OptionGroup var registry: RegistryOptions
    @OptionGroup var outputOptions: OutputOptions
    @OptionGroup var progress: ProgressOptions

    func validate() throws {
        if spec == nil, image.isEmpty, chart.isEmpty, file.isEmpty { throw ValidationError("give a spec file or at least one --image, --chart or --file") }
        if spec == nil, name == nil || version == nil { throw ValidationError("--image, --chart and --file need --name and --version") }
        if name?.isEmpty == true || version?.isEmpty == true { throw ValidationError("--name and --version must not be empty") }
        if concurrency < 1 || concurrency > 64 { throw ValidationError("--concurrency must be between 1 and 64") }
        if noReferrers, !referrersType.isEmpty { throw ValidationError("--referrers-type narrows evidence; --no-referrers leaves it all behind: give one") }
        if noReferrers, !cosign.paths.isEmpty { throw ValidationError("--cosign-key needs the signatures: it cannot be used with --no-referrers") }
    }

    /// `--chart` names a local archive when it ends in .tgz or .tar.gz or is an existing file.
    static func isLocalChart(_ given: String) -> Bool {
        given.hasSuffix(".tgz") || given.hasSuffix(".tar.gz") || FileManager.default.fileExists(atPath: given)
    }

    func run() async throws {
        var request = try packRequest()
        explainInterruption()
        let logger = outputOptions.logger
        let display = progress.display(outputOptions)
        request.progress = display.progress
        let hosts = Set((request.patterns + request.charts).map(\.repository.registry))
        let result = try await display.run { [request] _ in
            try await registry.withTransport(hosts: hosts, logger: logger) { transport in
                try await Packer(transport: transport, logger: logger).pack(request)
            }
        }
        if json {
            try Output.json(result)
            return
        }
        printResult(result)
    }

    /// What to pack: the spec file and the options together (the options' name and version win).
    struct Selection {
        var name: String?
        var version: String?
        var specText: String?
        var patterns: [ImagePattern] = []
        var charts: [ImagePattern] = []
        var localCharts: [LocalPath] = []
        var files: [LocalPath] = []
        var platforms: [Platform]?
    }

    func selection() throws -> Selection {
        var selection = Selection(name: name, version: version)
        if let spec {
            let loaded = try PackSpec.load(path: spec)
            selection.patterns = try loaded.spec.patterns()
            let directory = parentFolder(of: spec)
            selection.charts = try loaded.spec.chartPatterns()
            selection.localCharts = loaded.spec.localCharts(relativeTo: directory)
            selection.files = loaded.spec.localFiles(relativeTo: directory)
            selection.specText = loaded.text
            selection.platforms = try loaded.spec.parsedPlatforms()
            selection.name = name ?? loaded.spec.name
            selection.version = version ?? loaded.spec.version
        }
        selection.patterns += try image.map { try ImagePattern(parsing: $0, defaultTags: "latest") }
        for given in chart {
            if Self.isLocalChart(given) {
                selection.localCharts.append(LocalPath(path: given))
            } else {
                // Helm's tags spell a version's `+` as `_`; a registry name holds no `+`.
                selection.charts.append(try ImagePattern(parsing: given.replacingOccurrences(of: "+", with: "_"), defaultTags: "*"))
            }
        }
        selection.files += file.map { LocalPath(path: $0) }
        if let platform {
            selection.platforms = try platform.split(separator: ",").map { try Platform(parsing: $0.trimmingCharacters(in: .whitespaces)) }
        }
        return selection
    }

    /// The request, with keys loaded (a passphrase may be asked for) and the output checked.
    func packRequest() throws -> PackRequest {
        let partSize = try splitSize.map { text throws(AirlockError) in try PartSize.parse(text, option: "--split-size") }
        try OutputPath.check(partSize == nil ? output : PartsTable.partPath(output, 1), kind: .bundle, force: force, option: "-o")
        let selection = try selection()
        let signers = try passphrase.loadPrivateKeys(key)
        var request = PackRequest(
            name: selection.name ?? "", version: selection.version ?? "", spec: selection.specText, patterns: selection.patterns,
            platforms: selection.platforms, output: output, signers: signers, concurrency: concurrency)
        if let base {
            let header = try BundleHeader.read(path: base)
            if let below = header.manifest.base {
                Output.error("airlock: warning: \(Output.printable(base)) is itself a delta against \(below.name) \(below.version): the new bundle leaves out what either holds and records the chain; verify and unpack it with --base \(base) and that bundle's base too")
            }
            request.base = header
        }
        request.strict = strict
        request.evidence.enabled = !noReferrers
        request.evidence.types = referrersType
        request.cosignKeys = try cosign.publicKeys()
        request.partSize = partSize
        request.charts = selection.charts
        request.localCharts = selection.localCharts
        request.files = selection.files
        if !outputOptions.quiet {
            request.warnUnmatched = Output.warning(unmatched:)
            request.warnChartImage = Output.warning(chartImage:)
        }
        return request
    }

    /// Ctrl-C keeps what was fetched for the next run; say so.
    func explainInterruption() {
        let outputPath = output
        Interruption.explain {
            let kept = BundleWriter.keptBytes(outputPath: outputPath)
            return kept > 0
                ? "\(ByteCount.format(kept)) already fetched are kept in \(BundleWriter.workDirectory(for: outputPath)); run the same pack again to reuse them (or delete that folder)"
                : "nothing was written to \(outputPath)"
        }
    }

    func printResult(_ result: PackResult) {
        if !outputOptions.quiet {
            for image in result.images {
                Output.line("  \(image.name)  \(image.digest.short)  \((image.platforms ?? []).joined(separator: ","))")
            }
            for summary in result.evidence { Output.line("  \(summary.image) evidence: \(summary.text)") }
        }
        let counts = Dictionary(grouping: result.images, by: { $0.kind ?? "image" }).mapValues(\.count)
        let signed = result.signers.isEmpty ? "unsigned" : "signed by \(result.signers.map { String($0.keyID.hex.prefix(16)) }.joined(separator: ", "))"
        let what = ["image", "chart", "file"].compactMap { kind in
            kind == "image" || counts[kind] != nil ? "\(counts[kind] ?? 0, noun: kind)" : nil
        }.joined(separator: ", ")
        let place = result.parts.map { "\($0.count, noun: "part") \($0.first ?? "")…\($0.last ?? "") with \(PartsTable.tablePath(output))" } ?? result.path
        Output.line("packed \(what), \(result.blobCount, noun: "blob") (\(ByteCount.format(result.uniqueBytes))) into \(place) (\(ByteCount.format(result.size)), \(signed))")
    }
}
