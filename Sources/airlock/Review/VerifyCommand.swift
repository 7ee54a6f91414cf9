import Airlock
import ArgumentParser
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

    @OptionGroup var signers: SignerKeyOptions

    @Flag(help: "Print a JSON report to stdout.")
    var json = false

    @OptionGroup var cosign: CosignKeyOptions

    @Option(help: "For a delta bundle: the base bundle, to prove it holds every blob the delta leaves out (verified with the same keys). Repeat for a delta of a delta (its base's base).", completion: .file())
    var base: [String] = []

    @OptionGroup var output: OutputOptions
    @OptionGroup var progress: ProgressOptions

    func validate() throws {
        try signers.require(for: "verify")
    }

    func run() throws {
        do {
            try verify()
        } catch {
            // With --json, every failure is a report on stdout too, not only a sentence on stderr.
            if json {
                try Output.json(Verifier.Report.failed(error, sentence: AirlockCommand.sentence(error), path: bundle))
            }
            throw error
        }
    }

    func verify() throws {
        let trust = try signers.trust(), cosignKeys = try cosign.publicKeys()
        let outcome = try progress.display(output).run { progress in
            try Verifier(trust: trust, cosignKeys: cosignKeys, progress: progress).verify(bundle, bases: base)
        }
        if json {
            try Output.json(outcome.report)
            return
        }
        let report = outcome.report, manifest = outcome.manifest
        Output.line("verified \(manifest.name) \(manifest.version): signed by \(outcome.trustedSigners.joined(separator: ", ")); \(manifest.images.count, noun: "image"), \(report.blobCount ?? 0, noun: "blob"), \(ByteCount.format(report.uniqueBytes ?? 0)) checked")
        guard let link = manifest.base else { return }
        if let delta = outcome.delta {
            let sources = delta.provisions.map(\.path).joined(separator: " and ")
            Output.line("delta against \(link.name) \(link.version): all \(delta.externalBlobs.count, noun: "blob") it leaves out are in \(sources)")
        } else {
            Output.line("note: this is a delta against \(link.name) \(link.version); it relies on \(link.externalBlobs.count, noun: "blob") it does not hold (they must already be in the target; check with --base OLD):")
            for blob in link.externalBlobs { Output.line("  \(blob.digest)  \(ByteCount.format(blob.size))") }
        }
    }
}
