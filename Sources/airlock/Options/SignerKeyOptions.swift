import Bundle
import ArgumentParser
import Foundation

/// `--key PUB`: the signers a command that reads a bundle trusts (every one must have signed).
struct SignerKeyOptions: ParsableArguments {
    @Option(name: .customLong("key"), help: "Public key that must have signed (repeatable; verify, push, unpack, extract and serve need at least one).", completion: .file(extensions: ["pub"]))
    var paths: [String] = []

    /// The usage error of a command that needs a signer.
    func require(for command: String) throws {
        if paths.isEmpty { throw ValidationError("\(command) needs at least one --key (the public key of a signer you trust)") }
    }

    func publicKeys() throws -> [PublicKey] { try loadPublicKeys(paths) }
}
