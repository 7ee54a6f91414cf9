import Bundle
import ArgumentParser
import Foundation

/// Passphrases for encrypted private keys: a file, or AIRLOCK_KEY_PASSPHRASE.
struct PassphraseOptions: ParsableArguments {
    @Option(help: "File whose first line is the private key's passphrase (or set AIRLOCK_KEY_PASSPHRASE).", completion: .file())
    var keyPassphraseFile: String?

    func passphrase() throws -> String? {
        if let keyPassphraseFile {
            guard let data = FileManager.default.contents(atPath: keyPassphraseFile) else {
                throw ValidationError("cannot read --key-passphrase-file \(keyPassphraseFile)")
            }
            return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        }
        return ProcessInfo.processInfo.environment["AIRLOCK_KEY_PASSPHRASE"]
    }

    func loadPrivateKeys(_ paths: [String]) throws -> [PrivateKey] {
        let phrase = try passphrase()
        return try paths.map { try PrivateKey.load(path: $0, passphrase: phrase) }
    }
}

func loadPublicKeys(_ paths: [String]) throws -> [PublicKey] {
    try paths.map { try PublicKey.load(path: $0) }
}

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

/// `--cosign-key PUB`: every image must carry a valid cosign signature by one of these.
struct CosignKeyOptions: ParsableArguments {
    @Option(name: .customLong("cosign-key"), help: "Cosign public key: every image must carry a valid cosign signature by one of these (repeatable).",
            completion: .file(extensions: ["pub"]))
    var paths: [String] = []

    func publicKeys() throws -> [PublicKey] { try loadPublicKeys(paths) }
}
