import Airlock
import ArgumentParser
import Foundation
import OCI

struct UnpackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unpack",
        abstract: "Verify a bundle and write it as a plain OCI image layout (BUNDLE may be - for stdin).",
        discussion: """
            DIR must be new or empty, or hold an unpack of the same bundle that was interrupted (run the \
            same command again to carry it on). Blobs appear under their final names only once verified; \
            index.json is written last. A delta bundle needs its base (--base OLD): the layout is complete.
            """
    )

    @Argument(help: "The bundle, or - for standard input.", completion: .file())
    var bundle: String

    @Option(help: "Directory to write the OCI layout into.", completion: .directory)
    var toDir: String

    @OptionGroup var signers: SignerKeyOptions

    @Option(help: "For a delta bundle: the base bundle it was made against (verified with the same keys); its blobs complete the layout. Repeat for a delta of a delta (its base's base).", completion: .file())
    var base: [String] = []

    @Flag(help: "Print the result as JSON to stdout.")
    var json = false

    @OptionGroup var output: OutputOptions
    @OptionGroup var progress: ProgressOptions

    func validate() throws {
        try signers.require(for: "unpack")
    }

    func run() throws {
        try OutputPath.check(toDir, kind: .directory, option: "--to-dir")
        let trust = try signers.trust()
        let directory = toDir
        Interruption.explain { "run the same unpack again to carry on into \(directory) (or delete it)" }
        let result = try progress.display(output).run { progress in
            try Unpacker(trust: trust, progress: progress).unpack(bundle: bundle, to: toDir, bases: base)
        }
        if json {
            try Output.json(result)
            return
        }
        Output.line("unpacked \(result.images.count, noun: "image"), \(result.blobCount, noun: "blob") (\(ByteCount.format(result.uniqueBytes))) into \(result.directory)")
    }
}
