import Airlock
import ArgumentParser
import Bundle
import OCI

struct SplitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split",
        abstract: "Cut a bundle into parts for removable media (BUNDLE.001, BUNDLE.002, … and BUNDLE.parts).",
        discussion: """
            The parts are consecutive byte ranges of the bundle, its signatures untouched: cat BUNDLE.0* \
            gives the bundle back byte for byte, and every command that reads bundles takes BUNDLE.001. \
            BUNDLE.parts lets readers name a missing, truncated, swapped or foreign part. BUNDLE itself is \
            left in place.
            """
    )

    @Argument(help: "The bundle.", completion: .file())
    var bundle: String

    @Option(help: "Largest part: bytes, or K, M, G, T (powers of 1024), or fat32 (4 GiB − 1).")
    var size: String

    @Option(name: [.short, .customLong("output")], help: "Name the parts OUTPUT.001, … (default: BUNDLE.001, …).", completion: .file())
    var output: String?

    func run() throws {
        let partSize = try PartSize.parse(size, option: "--size")
        let target = output ?? bundle
        try OutputPath.check(PartsTable.partPath(target, 1), kind: .bundle, option: "-o")
        let parts = try BundleSplitter.split(bundle, partSize: partSize, into: target)
        Output.line("split \(bundle) into \(parts.count, noun: "part") of at most \(ByteCount.format(partSize)): \(parts.first ?? "")…\(parts.last ?? "") and \(PartsTable.tablePath(target))")
    }
}
