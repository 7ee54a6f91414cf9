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
        let old = try BundleHeader.read(path: bundles[0]), new = try BundleHeader.read(path: bundles[1])
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
        Output.line("")
        Output.line("blobs: \(diff.newBlobs.blobCount) new (\(ByteCount.format(diff.newBlobs.uniqueBytes))), \(diff.removedBlobs.blobCount) removed (\(ByteCount.format(diff.removedBlobs.uniqueBytes))), \(diff.sharedBlobs.blobCount) shared (\(ByteCount.format(diff.sharedBlobs.uniqueBytes)))")
        Output.line("a transfer of \(diff.new.name) \(diff.new.version) needs \(ByteCount.format(diff.newBlobs.uniqueBytes)) when \(diff.old.version) is already inside")
    }

    /// `diff --against --json` (format-spec/json/diff-against.schema.json).
    struct AgainstReport: Encodable {
        let registry: String
        let name: String
        let version: String
        let manifestDigest: Digest
        /// Every blob NEW's images use.
        let blobCount: Int
        let missing: [Descriptor]
        let missingBytes: Int64
        let present: Int
    }

    /// Which blobs of NEW the target registry lacks, under the names `push` would use.
    func runAgainst(_ target: String) async throws {
        let header = try BundleHeader.read(path: bundles[0])
        let naming = try TargetNaming(to: target)
        let repositories = try Array(Set(header.manifest.images.map { try naming.target(for: $0).repository })).sorted()
        let blobs = BundleDiff.allBlobs(header.manifest).values.sorted { $0.digest < $1.digest }
        let logger = output.logger
        let missing = try await registry.withTransport(hosts: [naming.registry], schemes: naming.schemes, logger: logger) { transport in
            let client = transport.client(for: naming.registry)
            try await client.checkReachable()
            return try await BoundedConcurrency.map(blobs, limit: 8) { blob in
                for repository in repositories {
                    // Registries keep manifests apart from blobs: ask for each in its own way.
                    let present = MediaType.isManifest(blob.mediaType)
                        ? try await client.manifestDescriptor(repository: repository, reference: blob.digest.description) != nil
                        : try await client.hasBlob(blob, repository: repository)
                    if present { return nil as Descriptor? }
                }
                return blob
            }.compactMap { $0 }
        }
        let report = AgainstReport(registry: target, name: header.manifest.name, version: header.manifest.version, manifestDigest: header.manifestDigest,
                                   blobCount: blobs.count, missing: missing, missingBytes: missing.reduce(0) { $0 + $1.size }, present: blobs.count - missing.count)
        if json {
            try Output.json(report)
        } else if missing.isEmpty {
            Output.line("\(target) already holds all \(blobs.count) blobs of \(header.manifest.name) \(header.manifest.version)")
        } else {
            Output.line("\(target) lacks \(missing.count) of \(blobs.count) blobs (\(ByteCount.format(report.missingBytes))); \(report.present) are already there:")
            for blob in missing { Output.line("  \(blob.digest)  \(ByteCount.format(blob.size))  \(blob.mediaType)") }
        }
        if !missing.isEmpty { throw ExitCode(ExitStatus.different.rawValue) }
    }
}
