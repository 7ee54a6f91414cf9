import Airlock
import ArgumentParser
import Foundation

struct SignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Add a countersignature to a bundle in place (only the signature slot is rewritten).",
        discussion: """
            The bundle is verified first (structure and every digest; exit 3 on any damage, the file \
            unchanged). With --policy it must also meet the policy, counting the signature being added.
            """
    )

    @Argument(help: "The bundle.", completion: .file())
    var bundle: String

    @Option(help: "Private key to sign with.", completion: .file(extensions: ["key"]))
    var key: String

    @Option(help: "Trust policy (airlock-policy(5)) the bundle must meet, counting this signature, before it is signed.",
            completion: .file(extensions: ["yaml", "yml"]))
    var policy: String?

    @Flag(help: "Sign without verifying the bundle first (only for a bundle just verified).")
    var noVerify = false

    @OptionGroup var passphrase: PassphraseOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var progress: ProgressOptions

    func validate() throws {
        if noVerify, policy != nil { throw ValidationError("--no-verify cannot be used with --policy: the policy is checked by verifying") }
    }

    func run() throws {
        let loaded = try policy.map(PolicyFile.load)
        let privateKey = try passphrase.loadPrivateKeys([key])[0]
        let signature = try progress.display(output).run { progress in
            try Countersigner(key: privateKey, policy: loaded, verifyFirst: !noVerify, progress: progress).sign(bundle)
        }
        if let signature {
            Output.line("signed \(bundle) with key \(signature.keyID.hex.prefix(16)) (\(signature.algorithm))")
        } else {
            Output.line("\(bundle) is already signed by key \(privateKey.publicKey.shortID); nothing changed")
        }
    }
}
