import Airlock
import ArgumentParser
import Bundle
import Foundation
import OCI

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what a bundle holds, reading only its manifest (instant on any size).",
        discussion: """
            Signatures are listed by key id; pass --key to check them too (inspect never checks blobs: use \
            verify). The file's structure is checked (seek table, metadata, end marker), so a truncated copy \
            or a split bundle with a part missing is refused (exit 3). A split bundle is read from its first \
            part, BUNDLE.001 (airlock-split(1)). Images are grouped by repository, \
            newest tag first; --image narrows the list.
            """
    )

    @Argument(help: "The bundle.", completion: .file())
    var bundle: String

    @Option(help: "Public key to check signatures against (repeatable).", completion: .file(extensions: ["pub"]))
    var key: [String] = []

    @Option(help: "Only images matching REPOSITORY[:TAGS], e.g. 'acme/runtime:8.12.*' or 'acme/*' (repeatable).")
    var image: [String] = []

    @Flag(help: "Print JSON to stdout.")
    var json = false

    /// `inspect --json` (format-spec/json/inspect.schema.json).
    struct Report: Encodable {
        let name: String
        let version: String
        let formatVersion: String
        let created: String
        let path: String
        let manifestDigest: Digest
        /// Bytes of the bundle file.
        let size: Int64
        let signers: [SignatureReport.Signer]
        let images: [ImageReport]
        let blobCount: Int
        let uniqueBytes: Int64
        let totalBytes: Int64
        let base: BundleManifest.Base?
        /// Signatures, SBOMs and attestations per image, then every entry as the bundle lists it.
        let evidenceSummary: [EvidenceSummary]
        let evidence: [BundleManifest.Evidence]
        let cosignKeys: [Digest]
    }

    func run() throws {
        // The whole file, not just its front: a truncated copy must not look complete.
        let file = try BundleFile(path: bundle)
        _ = try file.checkStructure()
        let header = file.header
        let manifest = header.manifest
        let filters = try image.map { try ImageListing.Filter(parsing: $0) }
        let groups = ImageListing.groups(manifest.images, filters: filters)
        let containers = Set(manifest.images.filter { ($0.kind ?? .image) == .image }.map(\.refName))
        // JSON keeps the bundle's own (signed) order; the text groups and sorts.
        let shown = Set(groups.flatMap(\.images).map(\.refName))
        let listed = manifest.images.filter { shown.contains($0.refName) }
        let keys = try loadPublicKeys(key)
        let signatures = SignatureReport.check(header.slot, manifest: header.manifestBytes, required: keys)
        let report = Report(
            name: manifest.name, version: manifest.version, formatVersion: manifest.formatVersion, created: manifest.created, path: bundle,
            manifestDigest: header.manifestDigest, size: header.fileSize, signers: signatures.signers, images: listed.map(ImageReport.init),
            blobCount: manifest.blobs.count, uniqueBytes: manifest.blobs.reduce(0) { $0 + $1.size },
            totalBytes: manifest.images.reduce(0) { $0 + $1.totalSize }, base: manifest.base,
            evidenceSummary: EvidenceSummary.of(manifest).filter { shown.contains($0.image) },
            evidence: (manifest.evidence ?? []).filter { shown.contains($0.image) }, cosignKeys: manifest.cosignKeys ?? [])
        if json {
            try Output.json(report)
            if !signatures.ok { throw ExitCode(ExitStatus.verificationFailed.rawValue) }
            return
        }
        Output.line("\(manifest.name) \(manifest.version)")
        Output.line("  format     airlock bundle \(manifest.formatVersion)")
        Output.line("  created    \(manifest.created)")
        Output.line("  manifest   \(header.manifestDigest)")
        Output.line("  size       \(ByteCount.format(header.fileSize)) on disk; \(ByteCount.format(report.uniqueBytes)) in \(report.blobCount) unique blobs (\(ByteCount.format(report.totalBytes)) counted per image)")
        if file.input.isSplit {
            let parts = file.input.partPaths
            Output.line("  parts      \(parts.count): \(parts.first ?? "")…\(parts.last ?? "")\(file.input.table == nil ? " (no parts table: read in number order)" : "")")
        }
        if let base = manifest.base {
            Output.line("  delta      against \(base.name) \(base.version) (\(base.manifestDigest.short)); \(base.externalBlobs.count) blobs live in the base")
        }
        if signatures.signers.isEmpty {
            Output.line("  signatures none")
        }
        for signer in signatures.signers {
            let state = switch signer.verified {
            case .some(true): "verified with \(signer.keySource ?? "")"
            case .some(false): "INVALID for \(signer.keySource ?? "")"
            case .none: keys.isEmpty ? "not checked (no --key)" : "no matching --key"
            }
            Output.line("  signed by  \(signer.keyID.hex.prefix(16)) \(signer.algorithm) (\(state))")
        }
        Output.line("")
        if !filters.isEmpty {
            Output.line("\(listed.count) of \(manifest.images.count) images match \(image.joined(separator: ", "))")
        }
        // One table, so columns line up across groups; a repository line heads each group.
        var rows = [["IMAGE", "DIGEST", "PLATFORMS", "SIZE", "SOURCE"]]
        var headings: [Int: String] = [:]
        for group in groups where group.images.contains(where: { containers.contains($0.refName) }) {
            headings[rows.count] = "\(group.repository) (\(group.images.count) image\(group.images.count == 1 ? "" : "s"))"
            for image in group.images {
                let (_, tag) = ImageListing.split(refName: image.refName)
                rows.append(["  " + (tag.map { ":\($0)" } ?? "@\(image.digest.short)"), image.digest.short, image.platforms.joined(separator: ","),
                             ByteCount.format(image.totalSize), image.source + (image.sourceDigest.map { " (filtered from \($0.short))" } ?? "")])
            }
        }
        for (index, line) in Output.table(rows.count > 1 || containers.count == manifest.images.count ? rows : []).enumerated() {
            if let heading = headings[index] { Output.line(heading) }
            Output.line(line)
        }
        Self.printArtifacts(listed)
        if !report.evidenceSummary.isEmpty {
            Output.line("")
            Output.line("evidence")
            let evidenceRows = report.evidenceSummary.map { ["  " + $0.image, $0.text] }
            for line in Output.table(evidenceRows) { Output.line(line) }
        }
        if !report.cosignKeys.isEmpty {
            Output.line("cosign signatures checked at pack with key \(report.cosignKeys.map { String($0.hex.prefix(16)) }.joined(separator: ", "))")
        }
        if !signatures.ok {
            throw ExitCode(ExitStatus.verificationFailed.rawValue)
        }
    }

    /// The Charts and Files sections: what `extract` writes, and where `push` sends it.
    static func printArtifacts(_ images: [BundleManifest.Image]) {
        for (kind, title) in [(BundleManifest.Image.Kind.chart, "charts"), (.file, "files")] {
            let items = images.filter { $0.kind == kind }
            guard !items.isEmpty else { continue }
            Output.line("")
            Output.line("\(title) (\(items.count))")
            var rows = [[kind == .chart ? "  CHART" : "  FILE", "VERSION", "DIGEST", "SIZE", "SOURCE"]]
            for item in items {
                let source = item.artifact?.path ?? Reference.spelled(item.source, tagOr: item.digest, tag: item.tag)
                rows.append(["  " + (item.artifact?.name ?? item.refName), item.artifact?.version ?? item.tag ?? "", item.digest.short,
                             ByteCount.format(item.totalSize), source])
            }
            for line in Output.table(rows) { Output.line(line) }
        }
    }

}
