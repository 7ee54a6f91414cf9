import Bundle
import Foundation
import OCI
import Yams

extension PolicyFile {
    /// A value of the file with where it stands.
    struct Located {
        let node: Node
        let line: Int
    }

    /// A role as read, with the line its keys start on (for the two-roles check).
    struct ReadRole {
        let role: TrustPolicy.Role
        let line: Int
    }

    /// Walks the YAML nodes; every refusal names the file and the line.
    struct Reader {
        let path: String
        let resolve: (String) -> String

        func problem(_ node: Node, _ text: String) -> AirlockError {
            .usage("\(path) line \(node.mark?.line ?? 1): \(text)")
        }

        func mapping(_ node: Node, _ what: String, known: [String]) throws -> [String: Located] {
            guard let mapping = node.mapping else { throw problem(node, "\(what) must be a mapping") }
            var fields: [String: Located] = [:]
            for (key, value) in mapping {
                guard let name = key.string else { throw problem(key, "a key of \(what) is not text") }
                guard known.contains(name) else {
                    throw problem(key, "\(what) has an unknown field '\(name)' (known: \(known.joined(separator: ", ")))")
                }
                guard fields[name] == nil else { throw problem(key, "\(what) has '\(name)' twice") }
                fields[name] = Located(node: value, line: key.mark?.line ?? 1)
            }
            return fields
        }

        func string(_ node: Node, _ what: String) throws -> String {
            guard case .scalar = node, let text = node.string, !text.isEmpty else { throw problem(node, "\(what) must be a non-empty string") }
            return text
        }

        func strings(_ node: Node, _ what: String) throws -> [String] {
            guard let sequence = node.sequence else { throw problem(node, "\(what) must be a list") }
            return try sequence.map { try string($0, "each entry of \(what)") }
        }

        func keys(_ node: Node, _ what: String) throws -> [PublicKey] {
            guard let sequence = node.sequence else { throw problem(node, "\(what) must be a list of public key files") }
            return try sequence.map { entry in
                let name = try string(entry, "each key of \(what)")
                do {
                    return try PublicKey.load(path: resolve(name))
                } catch let error as BundleError {
                    throw problem(entry, "key file \(name) of \(what): \(error.description)")
                }
            }
        }

        func roles(_ located: Located?) throws -> [ReadRole] {
            guard let located else { throw AirlockError.usage("\(path) has no roles: a policy names at least one role of signers") }
            guard let mapping = located.node.mapping, !mapping.isEmpty else { throw problem(located.node, "roles must be a mapping of role names to keys") }
            return try mapping.map { key, value in
                let name = try string(key, "a role's name")
                let fields = try self.mapping(value, "role \(name)", known: PolicyFile.roleFields)
                if let certificates = fields["certificates"] {
                    throw problem(certificates.node, "role \(name): certificates are not supported by this airlock yet; name the signers' public keys under keys")
                }
                guard let keyList = fields["keys"] else { throw problem(value, "role \(name) has no keys") }
                let keys = try self.keys(keyList.node, "role \(name)")
                guard !keys.isEmpty else { throw problem(keyList.node, "role \(name) lists no keys") }
                let threshold = try fields["threshold"].map { located -> Int in
                    guard let count = located.node.int, count >= 1 else { throw problem(located.node, "role \(name): threshold must be a whole number of at least 1") }
                    return count
                } ?? 1
                guard threshold <= Set(keys.map(\.id)).count else {
                    throw problem(fields["threshold"]?.node ?? value, "role \(name): threshold \(threshold) is above its \(Set(keys.map(\.id)).count) distinct key(s)")
                }
                let attests = try fields["attests-policy"].map { located -> Digest in
                    guard let text = located.node.string, let digest = try? Digest(parsing: text) else {
                        throw problem(located.node, "role \(name): attests-policy must be a policy digest, sha256:<64 hex digits> (airlock policy check prints it)")
                    }
                    return digest
                }
                return ReadRole(role: TrustPolicy.Role(name: name, keys: keys, threshold: threshold, attestsPolicy: attests), line: keyList.line)
            }
        }

        /// A key belongs to one role at most, and never to a role and `revoked` both.
        func checkDistinct(roles: [ReadRole], revoked: [PublicKey], at revokedNode: Node) throws {
            var owner: [Digest: String] = [:]
            for read in roles {
                for key in read.role.keys {
                    if let other = owner[key.id], other != read.role.name {
                        throw AirlockError.usage("\(path) line \(read.line): key \(key.source) (\(key.shortID)) is in roles \(other) and \(read.role.name); a key belongs to one role")
                    }
                    owner[key.id] = read.role.name
                }
            }
            if let both = revoked.first(where: { owner[$0.id] != nil }) {
                throw problem(revokedNode, "key \(both.source) (\(both.shortID)) is both in role \(owner[both.id] ?? "") and revoked")
            }
        }

        /// `30d`: a whole number and one of m (minutes), h, d, w.
        func age(_ node: Node) throws -> (Int64?, String?) {
            let text = try string(node, "max-age")
            guard let unit = text.last, let seconds = PolicyFile.units[unit], let count = Int64(text.dropLast()), count > 0, count < 100_000 else {
                throw problem(node, "max-age '\(text)' is not a number followed by a unit of m (minutes), h, d or w")
            }
            return (count * seconds, text)
        }

        func images(_ node: Node) throws -> TrustPolicy.ImageRules {
            let fields = try mapping(node, "images", known: PolicyFile.imageFields)
            let sources = try fields["sources"].map { try strings($0.node, "images.sources") } ?? []
            let cosign = try fields["cosign-keys"].map { try keys($0.node, "images.cosign-keys") } ?? []
            let require = try fields["require"].map { located in
                try strings(located.node, "images.require").map { word -> BundleManifest.Evidence.Kind in
                    guard let kind = BundleManifest.Evidence.Kind(rawValue: word), [.sbom, .signature, .attestation].contains(kind) else {
                        throw problem(located.node, "images.require names '\(word)'; it takes sbom, signature or attestation")
                    }
                    return kind
                }
            } ?? []
            return TrustPolicy.ImageRules(sources: sources, cosignKeys: cosign, require: require)
        }
    }
}
