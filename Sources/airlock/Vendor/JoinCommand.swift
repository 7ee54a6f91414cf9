import Airlock
import ArgumentParser
import Bundle
import OCI

struct JoinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "join",
        abstract: "Join the parts of a split bundle into one file, verifying them as they pass.",
        discussion: """
            Each part is checked against BUNDLE.parts (present, size, SHA-256) and the whole bundle as \
            verify checks it (structure and every digest; signatures with --key). OUTPUT appears only \
            when everything checked.
            """
    )

    @Argument(help: "The first part (BUNDLE.001), or BUNDLE when only its parts exist.", completion: .file())
    var bundle: String

    @Option(name: [.short, .customLong("output")], help: "The bundle file to write.", completion: .file())
    var output: String

    @OptionGroup var signers: SignerKeyOptions

    @Flag(help: "Replace an existing OUTPUT that is not an airlock bundle (a private key is never replaced).")
    var force = false

    func run() throws {
        let trust = try signers.trust()
        try OutputPath.check(output, kind: .bundle, force: force, option: "-o")
        let report = try BundleJoiner.join(bundle, to: output, trust: trust)
        Output.line("joined \(report.manifest.name) \(report.manifest.version) into \(output): \(report.blobsVerified, noun: "blob"), \(ByteCount.format(report.bytesVerified)) checked")
    }
}
