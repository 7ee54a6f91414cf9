import Airlock
import ArgumentParser
import Bundle
import Foundation
import OCI

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a bundle's signatures and every byte of it, in one pass (BUNDLE may be - for stdin).",
        discussion: """
            Every --key must have signed the bundle. Then every blob's digest and size, the image graph, \
            index.json and the seek table are checked. Exit status 3 means the content does not verify; \
            2 a usage error; 6 a file that cannot be read.
            """
    )

    @Argument(help: "The bundle, or - for standard input.", completion: .file())
    var bundle: String

    @Option(help: "Public key that must have signed (repeatable; at least one).", completion: .file(extensions: ["pub"]))
    var key: [String] = []

    @Flag(help: "Print a JSON report to stdout.")
    var json = false

    @Option(help: "Cosign public key: every image must carry a valid cosign signature by one of these (repeatable).", completion: .file(extensions: ["pub"]))
    var cosignKey: [String] = []

    @Option(help: "For a delta bundle: the base bundle, to prove it holds every blob the delta leaves out.", completion: .file())
    var base: String?

    @OptionGroup var output: OutputOptions
    @OptionGroup var progress: ProgressOptions

    func validate() throws {
        if key.isEmpty { throw ValidationError("verify needs at least one --key (the public key of a signer you trust)") }
    }

    /// `verify --json` (format-spec/json/verify.schema.json); a failure sets only `ok`, `error`, `path`.
    struct Report: Encodable {
        let ok: Bool
        let error: String?
        let path: String
        let name: String?
        let version: String?
        let manifestDigest: Digest?
        let signers: [SignatureReport.Signer]?
        let images: [ImageReport]?
        /// Blobs checked (their digest and size).
        let blobCount: Int?
        let uniqueBytes: Int64?
        let externalBlobs: [Descriptor]?

        static func failed(_ error: any Error, path: String) -> Report {
            Report(ok: false, error: AirlockCommand.sentence(error), path: path, name: nil, version: nil, manifestDigest: nil,
                   signers: nil, images: nil, blobCount: nil, uniqueBytes: nil, externalBlobs: nil)
        }
    }

    func run() throws {
        do {
            try verify()
        } catch {
            // With --json, every failure is a report on stdout too, not only a sentence on stderr.
            if json {
                try Output.json(Report.failed(error, path: bundle))
            }
            throw error
        }
    }

    func verify() throws {
        let keys = try loadPublicKeys(key)
        let cosign = CosignVerification(keys: try loadPublicKeys(cosignKey))
        let input = try BundleInput.open(bundle)
        let held = CosignEvidenceBytes()
        let report = try progress.display(output).run { progress in
            try BundleVerifier(requiredKeys: keys).verify(input: input, progress: progress, phase: "verify",
                                                          onBlobData: { descriptor, bytes in if !cosign.keys.isEmpty { held.take(descriptor, bytes) } })
        }
        try cosign.check(report.manifest, read: held.read)
        let baseChecked = try checkBase(report)
        if json {
            try Output.json(Report(ok: true, error: nil, path: bundle, name: report.manifest.name, version: report.manifest.version,
                                   manifestDigest: report.manifestDigest, signers: report.signatures.signers,
                                   images: report.manifest.images.map(ImageReport.init), blobCount: report.blobsVerified,
                                   uniqueBytes: report.bytesVerified, externalBlobs: report.externalBlobs))
            return
        }
        let signers = report.signatures.signers.filter { $0.verified == true }.map { "\($0.keySource ?? "") (\($0.keyID.hex.prefix(16)))" }
        Output.line("verified \(report.manifest.name) \(report.manifest.version): signed by \(signers.joined(separator: ", ")); \(report.manifest.images.count) images, \(report.blobsVerified) blobs, \(ByteCount.format(report.bytesVerified)) checked")
        if let delta = report.manifest.base {
            if baseChecked {
                Output.line("delta against \(delta.name) \(delta.version): all \(report.externalBlobs.count) blobs it leaves out are in \(base ?? "")")
            } else {
                Output.line("note: this is a delta against \(delta.name) \(delta.version); it relies on \(report.externalBlobs.count) blobs it does not hold (they must already be in the target; check with --base OLD):")
                for blob in report.externalBlobs { Output.line("  \(blob.digest)  \(ByteCount.format(blob.size))") }
            }
        }
    }

    /// With --base: the base is the bundle the delta names, and it lists every external blob.
    func checkBase(_ report: VerificationReport) throws -> Bool {
        guard let base else { return false }
        guard let delta = report.manifest.base else {
            throw AirlockError.usage("\(bundle) is not a delta bundle; --base does not apply")
        }
        let header = try BundleHeader.read(path: base)
        guard header.manifestDigest == delta.manifestDigest else {
            throw AirlockError.verification("\(base) is not the base this delta was made against (\(delta.name) \(delta.version), manifest \(delta.manifestDigest.short))")
        }
        let held = BundleDiff.allBlobs(header.manifest)
        let absent = report.externalBlobs.filter { held[$0.digest] == nil }
        guard absent.isEmpty else {
            throw AirlockError.verification("\(base) lacks \(absent.count) blob(s) the delta relies on, e.g. \(absent[0].digest)")
        }
        return true
    }
}
