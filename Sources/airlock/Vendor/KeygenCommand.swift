import Airlock
import ArgumentParser
import Bundle

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Create a signing key pair: NAME.key (PKCS#8 PEM, mode 0600) and NAME.pub (SPKI PEM).",
        discussion: "Never overwrites an existing file. The key id printed is the SHA-256 of the public key (DER)."
    )

    @Option(help: "Base path of the two files.", completion: .file())
    var out: String

    @Option(help: "ecdsa-p256 (default) or ed25519.")
    var type: String = KeyType.ecdsaP256.rawValue

    @OptionGroup var passphrase: PassphraseOptions

    func run() throws {
        guard let keyType = KeyType(rawValue: type) else {
            throw ValidationError("--type must be ecdsa-p256 or ed25519, not '\(type)'")
        }
        for path in [out + ".key", out + ".pub"] { try OutputPath.check(path, kind: .key, option: "--out") }
        let key = try PrivateKey.generate(keyType)
        let paths = try key.write(to: out, passphrase: try passphrase.passphrase())
        Output.line("key id \(key.publicKey.id) (\(keyType.rawValue))")
        Output.line("private \(paths.privatePath) (keep secret)")
        Output.line("public  \(paths.publicPath) (give to verifiers)")
    }
}
