import Airlock
import ArgumentParser
import Foundation

struct ExtractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Verify a bundle and write its Helm charts and files into a directory.",
        discussion: """
            Charts are written as NAME-VERSION.tgz (the archive helm package made, byte for byte), files \
            under their names and folders as folders. Signatures and the bundle's structure are checked \
            first; each chart and file is hashed on the way out and appears under its name only once its \
            digest matches. DIR is created if needed; nothing in it is replaced without --force.
            """
    )

    @Argument(help: "The bundle (a file).", completion: .file())
    var bundle: String

    @Option(help: "Directory to write the charts and files into.", completion: .directory)
    var toDir: String

    @OptionGroup var signers: SignerKeyOptions

    @Flag(help: "Replace files and folders of the same names in DIR.")
    var force = false

    @Flag(help: "Print the result as JSON to stdout.")
    var json = false

    @OptionGroup var output: OutputOptions

    func validate() throws {
        try signers.require(for: "extract")
    }

    func run() throws {
        try OutputPath.check(toDir, kind: .directory, option: "--to-dir")
        let trust = try signers.trust()
        let result = try Extractor(trust: trust, force: force).extract(bundle: bundle, to: toDir)
        if json {
            try Output.json(result)
            return
        }
        if !output.quiet {
            for item in result.written {
                Output.line("  \(item.kind)  \(item.name)\(item.isFolder ? "/" : "")  \(item.digest.short)  \(ByteCount.format(item.size))")
            }
        }
        let charts = result.written.filter { $0.kind == "chart" }.count, files = result.written.count - charts
        Output.line("extracted \(charts) chart\(charts == 1 ? "" : "s") and \(files) file\(files == 1 ? "" : "s") into \(result.directory)")
    }
}
