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
