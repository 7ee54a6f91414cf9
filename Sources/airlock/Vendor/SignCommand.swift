import Airlock
import ArgumentParser
import Bundle

struct SignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Add a countersignature to a bundle in place (only the signature slot is rewritten).",
        discussion: "Verify the bundle first: sign signs whatever manifest the bundle holds."
    )

    @Argument(help: "The bundle.", completion: .file())
    var bundle: String

    @Option(help: "Private key to sign with.", completion: .file(extensions: ["key"]))
    var key: String

    @OptionGroup var passphrase: PassphraseOptions

    func run() throws {
        let privateKey = try passphrase.loadPrivateKeys([key])[0]
        if let signature = try BundleHeader.addSignature(path: bundle, key: privateKey) {
            Output.line("signed \(bundle) with key \(signature.keyID.hex.prefix(16)) (\(signature.algorithm))")
        } else {
            Output.line("\(bundle) is already signed by key \(privateKey.publicKey.shortID); nothing changed")
        }
    }
}
