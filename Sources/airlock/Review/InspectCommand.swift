import Airlock
import ArgumentParser
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

    func run() throws {
        let inspection = try Inspector.inspect(bundle, images: image, keyFiles: key)
        if json {
            try Output.json(inspection.report)
        } else {
            printSummary(inspection, keysGiven: !key.isEmpty)
            printImages(inspection)
            Self.printArtifacts(inspection)
            Self.printEvidence(inspection.report)
        }
        if !inspection.signaturesValid {
            throw ExitCode(ExitStatus.verificationFailed.rawValue)
        }
        if !image.isEmpty, inspection.report.images.isEmpty {
            throw AirlockError.notFound("no image of \(bundle) matches \(image.joined(separator: ", ")) (it holds \(inspection.imageCount, noun: "image"); run inspect without --image to list them)")
        }
    }

    /// Name, format, sizes, parts, delta base and signers.
    func printSummary(_ inspection: Inspector.Inspection, keysGiven: Bool) {
        let report = inspection.report
        Output.line("\(report.name) \(report.version)")
        Output.line("  format     airlock bundle \(report.formatVersion)")
        Output.line("  created    \(report.created)")
        Output.line("  manifest   \(report.manifestDigest)")
        Output.line("  size       \(ByteCount.format(report.size)) on disk; \(ByteCount.format(report.uniqueBytes)) in \(report.blobCount) unique blobs (\(ByteCount.format(report.totalBytes)) counted per image)")
        if let parts = inspection.parts {
            Output.line("  parts      \(parts.count): \(parts.first ?? "")…\(parts.last ?? "")\(inspection.partsUntabled ? " (no parts table: read in number order)" : "")")
        }
        if let base = report.base {
            Output.line("  delta      against \(base.name) \(base.version) (\(base.manifestDigest.short)); \(base.externalBlobs.count, noun: "blob") live in the base")
        }
        if report.signers.isEmpty {
            Output.line("  signatures none")
        }
        for signer in report.signers {
            let state = switch signer.verified {
            case .some(true): "verified with \(signer.keySource ?? "")"
            case .some(false): "INVALID for \(signer.keySource ?? "")"
            case .none: keysGiven ? "no matching --key" : "not checked (no --key)"
            }
            Output.line("  signed by  \(signer.keyID.hex.prefix(16)) \(signer.algorithm) (\(state))")
        }
        for verdict in report.verdicts ?? [] {
            let state = verdict.verified.map { $0 ? "verified" : "INVALID" } ?? (keysGiven ? "no matching --key" : "not checked (no --key)")
            Output.line("  verdict    \(verdict.keyID.dropFirst(7).prefix(16)) \(Output.printable(verdict.result)): policy \(Output.printable(verdict.policy)) (\(verdict.policyDigest.dropFirst(7).prefix(12))) at \(Output.printable(verdict.timeVerified)) (\(state))")
        }
        Output.line("")
    }

    /// The container images: one table, so columns line up across groups; a repository line heads each group.
    func printImages(_ inspection: Inspector.Inspection) {
        if !image.isEmpty {
            Output.line("\(inspection.report.images.count) of \(inspection.imageCount, noun: "image") match \(image.joined(separator: ", "))")
        }
        let containers = inspection.containers
        var rows = [["IMAGE", "DIGEST", "PLATFORMS", "SIZE", "SOURCE"]]
        var headings: [Int: String] = [:]
        for group in inspection.groups where group.images.contains(where: { containers.contains($0.refName) }) {
            headings[rows.count] = "\(group.repository) (\(group.images.count) image\(group.images.count == 1 ? "" : "s"))"
            for image in group.images {
                let (_, tag) = ImageListing.split(refName: image.refName)
                rows.append(["  " + (tag.map { ":\($0)" } ?? "@\(image.digest.short)"), image.digest.short, image.platforms.joined(separator: ","),
                             ByteCount.format(image.totalSize), image.source + (image.sourceDigest.map { " (filtered from \($0.short))" } ?? "")])
            }
        }
        for (index, line) in Output.table(rows.count > 1 || (image.isEmpty && containers.count == inspection.imageCount) ? rows : []).enumerated() {
            if let heading = headings[index] { Output.line(heading) }
            Output.line(line)
        }
    }

    /// The Charts and Files sections: what `extract` writes, and where `push` sends it.
    static func printArtifacts(_ inspection: Inspector.Inspection) {
        for (items, title, column) in [(inspection.charts, "charts", "  CHART"), (inspection.files, "files", "  FILE")] {
            guard !items.isEmpty else { continue }
            Output.line("")
            Output.line("\(title) (\(items.count))")
            var rows = [[column, "VERSION", "DIGEST", "SIZE", "SOURCE"]]
            for item in items {
                let source = item.artifact?.path ?? Reference.spelled(item.source, tagOr: item.digest, tag: item.tag)
                rows.append(["  " + (item.artifact?.name ?? item.refName), item.artifact?.version ?? item.tag ?? "", item.digest.short,
                             ByteCount.format(item.totalSize), source])
            }
            for line in Output.table(rows) { Output.line(line) }
        }
    }

    /// Evidence per image, and the cosign keys pack checked.
    static func printEvidence(_ report: Inspector.Report) {
        if !report.evidenceSummary.isEmpty {
            Output.line("")
            Output.line("evidence")
            let evidenceRows = report.evidenceSummary.map { ["  " + $0.image, $0.text] }
            for line in Output.table(evidenceRows) { Output.line(line) }
        }
        if !report.cosignKeys.isEmpty {
            Output.line("cosign signatures checked at pack with key \(report.cosignKeys.map { String($0.hex.prefix(16)) }.joined(separator: ", "))")
        }
    }
}
