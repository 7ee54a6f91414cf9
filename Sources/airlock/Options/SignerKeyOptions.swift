import Airlock
import ArgumentParser
import Bundle
import Foundation

/// Whom a command that reads a bundle trusts: `--key PUB` (every one must have signed) and
/// `--policy FILE` (airlock-policy(5); `AIRLOCK_POLICY` names a default). Both may be given:
/// the keys must then have signed besides what the policy asks.
struct SignerKeyOptions: ParsableArguments {
    @Option(name: .customLong("key"), help: "Public key that must have signed (repeatable; verify, push, unpack, extract and serve need one, or --policy).", completion: .file(extensions: ["pub"]))
    var paths: [String] = []

    @Option(name: .customLong("policy"), help: "Trust policy (airlock-policy(5)): roles and thresholds of signers, revoked keys, max-age, the bundle's name, image rules. AIRLOCK_POLICY names a default.",
            completion: .file(extensions: ["yaml", "yml"]))
    var policyPath: String?

    /// `--policy`, else `AIRLOCK_POLICY` (an empty value is none).
    var policyFile: String? {
        policyPath ?? ProcessInfo.processInfo.environment[PolicyFile.environmentVariable].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The usage error of a command that needs a signer.
    func require(for command: String) throws {
        if paths.isEmpty, policyFile == nil {
            throw ValidationError("\(command) needs at least one --key (the public key of a signer you trust) or a --policy")
        }
    }

    func publicKeys() throws -> [PublicKey] { try loadPublicKeys(paths) }

    /// The keys and the policy when either is given (diff and status check only then).
    func trustIfGiven() throws -> Trust? {
        paths.isEmpty && policyFile == nil ? nil : try trust()
    }

    /// The keys and the policy, read before any bundle is opened (a malformed policy is exit 2).
    func trust() throws -> Trust {
        Trust(keys: try publicKeys(), policy: try policyFile.map(PolicyFile.load))
    }
}
