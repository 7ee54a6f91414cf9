import Airlock
import ArgumentParser
import Bundle
import Foundation
import OCI

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what a bundle holds, reading only its manifest (instant on any size).",
        discussion: "Signatures are listed by key id; pass --key to check them too (inspect never checks blobs: use verify)."
    )

    @Argument(help: "The bundle.", completion: .file())
    var bundle: String

    @Option(help: "Public key to check signatures against (repeatable).", completion: .file(extensions: ["pub"]))
    var key: [String] = []

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
    }

    func run() throws {
        let header = try BundleHeader.read(path: bundle)
        let manifest = header.manifest
        let keys = try loadPublicKeys(key)
        let signatures = SignatureReport.check(header.slot, manifest: header.manifestBytes, required: keys)
        let report = Report(
            name: manifest.name, version: manifest.version, formatVersion: manifest.formatVersion, created: manifest.created, path: bundle,
            manifestDigest: header.manifestDigest, size: header.fileSize, signers: signatures.signers, images: manifest.images.map(ImageReport.init),
            blobCount: manifest.blobs.count, uniqueBytes: manifest.blobs.reduce(0) { $0 + $1.size },
            totalBytes: manifest.images.reduce(0) { $0 + $1.totalSize }, base: manifest.base)
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
        var rows = [["IMAGE", "DIGEST", "PLATFORMS", "SIZE", "SOURCE"]]
        for image in manifest.images {
            rows.append([image.refName, image.digest.short, image.platforms.joined(separator: ","), ByteCount.format(image.totalSize),
                         image.source + (image.sourceDigest.map { " (filtered from \($0.short))" } ?? "")])
        }
        Output.table(rows).forEach(Output.line)
        if !signatures.ok {
            throw ExitCode(ExitStatus.verificationFailed.rawValue)
        }
    }
}
