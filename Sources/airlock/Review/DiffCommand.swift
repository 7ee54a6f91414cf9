import Airlock
import ArgumentParser
import Bundle
import Foundation
import OCI
import Registry

struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two bundles (or a bundle with a registry) by image and blob digest.",
        discussion: """
            Reads only the bundle manifests, so it is instant on any size. Exit status like diff(1): \
            0 identical content, 1 different, 2 or more an error. With --against REG[/NS], OLD is a \
            registry: diff lists the blobs of NEW it lacks (what the vendor must send).
            """
    )

    @Argument(help: "The older bundle (omit with --against).", completion: .file())
    var bundles: [String]

    @Option(help: "Compare NEW with what registry REG[/NAMESPACE] already holds.")
    var against: String?

    @Flag(help: "Print JSON to stdout.")
    var json = false

    @OptionGroup var signers: SignerKeyOptions
    @OptionGroup var registry: RegistryOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if against == nil, bundles.count != 2 { throw ValidationError("diff needs OLD and NEW bundles (or one bundle with --against)") }
        if against != nil, bundles.count != 1 { throw ValidationError("with --against, give only the NEW bundle") }
    }

    func run() async throws {
        if let against {
            try await runAgainst(against)
            return
        }
        let trust = try signers.trustIfGiven()
        let old = try Self.header(bundles[0], trust: trust?.forBase), new = try Self.header(bundles[1], trust: trust)
        let diff = BundleDiff.compare(old: old, new: new)
        if json {
            try Output.json(diff)
        } else {
            show(diff)
        }
        if !diff.identical { throw ExitCode(ExitStatus.different.rawValue) }
    }

    func show(_ diff: BundleDiff) {
        Output.line("--- \(diff.old.name) \(diff.old.version) (\(diff.old.manifestDigest.short))")
        Output.line("+++ \(diff.new.name) \(diff.new.version) (\(diff.new.manifestDigest.short))")
        if diff.identical {
            Output.line("identical content: the same images with the same digests and the same blobs")
            return
        }
        for image in diff.added { Output.line("+ \(image.name)  \(image.digest.short)  \((image.platforms ?? []).joined(separator: ","))") }
        for image in diff.removed { Output.line("- \(image.name)  \(image.digest.short)") }
        for change in diff.changed {
            var line = "~ \(change.name)  \(change.oldDigest.short) → \(change.newDigest.short)"
            if !change.platformsAdded.isEmpty { line += "  +platforms \(change.platformsAdded.joined(separator: ","))" }
            if !change.platformsRemoved.isEmpty { line += "  -platforms \(change.platformsRemoved.joined(separator: ","))" }
            Output.line(line)
        }
        for name in diff.unchanged { Output.line("= \(name)") }
        for entry in diff.evidenceAdded { Output.line("+ evidence \(entry.kind.rawValue) \(entry.manifest.digest.short) on \(entry.image) (\(entry.subject.short))") }
        for entry in diff.evidenceRemoved { Output.line("- evidence \(entry.kind.rawValue) \(entry.manifest.digest.short) on \(entry.image) (\(entry.subject.short))") }
        Output.line("")
        Output.line("blobs: \(diff.newBlobs.blobCount) new (\(ByteCount.format(diff.newBlobs.uniqueBytes))), \(diff.removedBlobs.blobCount) removed (\(ByteCount.format(diff.removedBlobs.uniqueBytes))), \(diff.sharedBlobs.blobCount) shared (\(ByteCount.format(diff.sharedBlobs.uniqueBytes)))")
        Output.line("a transfer of \(diff.new.name) \(diff.new.version) needs \(ByteCount.format(diff.newBlobs.uniqueBytes)) when \(diff.old.version) is already inside")
    }

    /// What the target registry lacks of NEW (blobs and tags), under the names `push` would use.
    func runAgainst(_ target: String) async throws {
        let header = try Self.header(bundles[0], trust: try signers.trustIfGiven())
        let naming = try TargetNaming(to: target)
        let report = try await registry.withTransport(hosts: [naming.registry], schemes: naming.schemes, logger: output.logger) { transport in
            try await RegistryDiff.compare(header, naming: naming, target: target, client: transport.client(for: naming.registry))
        }
        if json {
            try Output.json(report)
        } else {
            if report.missing.isEmpty {
                Output.line("\(target) already holds all \(report.blobCount, noun: "blob") of \(header.manifest.name) \(header.manifest.version)")
            } else {
                Output.line("\(target) lacks \(report.missing.count) of \(report.blobCount, noun: "blob") (\(ByteCount.format(report.missingBytes))); \(report.present) are already there:")
                for blob in report.missing { Output.line("  \(blob.digest)  \(ByteCount.format(blob.size))  \(blob.mediaType)") }
            }
            let tags = report.tags
            if tags.missing.isEmpty, tags.moved.isEmpty {
                Output.line("every tag (\(tags.current)) names the bundle's image")
            } else {
                Output.line("tags: \(tags.missing.count) missing, \(tags.moved.count) naming another image, \(tags.current) current:")
                for tag in tags.missing { Output.line("  + \(tag.target)  \(tag.digest.short)") }
                for tag in tags.moved { Output.line("  ~ \(tag.target)  \(tag.current?.short ?? "") → \(tag.digest.short)") }
            }
        }
        if !report.identical { throw ExitCode(ExitStatus.different.rawValue) }
    }

    /// A bundle's signed front; with --key or --policy, only once it is trusted (the older side
    /// of a diff is held to the signers, not to max-age).
    static func header(_ path: String, trust: Trust?) throws -> BundleHeader {
        guard let trust else { return try BundleHeader.read(path: path) }
        return try TrustedBundle.header(path, trust: trust)
    }
}
