import Bundle
import ArgumentParser
import Foundation

/// `--cosign-key PUB`: every image must carry a valid cosign signature by one of these.
struct CosignKeyOptions: ParsableArguments {
    @Option(name: .customLong("cosign-key"), help: "Cosign public key: every image must carry a valid cosign signature by one of these (repeatable).",
            completion: .file(extensions: ["pub"]))
    var paths: [String] = []

    func publicKeys() throws -> [PublicKey] { try loadPublicKeys(paths) }
}
