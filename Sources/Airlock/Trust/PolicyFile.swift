import Bundle
import Foundation
import OCI
import Yams

/// Reads a trust policy file (airlock-policy(5)) into a `TrustPolicy`. Every problem is a usage
/// error (exit 2) naming the file and the line, found before any bundle is opened: unknown
/// fields, a key file that does not read, a threshold above a role's keys, a key in two roles or
/// in a role and `revoked`, an unknown unit.
public enum PolicyFile {
    /// Names a default policy for every command that reads a bundle.
    public static let environmentVariable = "AIRLOCK_POLICY"
    /// Largest policy file read (a policy is a few hundred bytes).
    static let maximumSize = 1 << 20

    static let fields = ["version", "bundle", "roles", "revoked", "max-age", "images"]
    static let roleFields = ["keys", "threshold", "attests-policy", "certificates"]
    static let imageFields = ["sources", "cosign-keys", "require"]
    static let units: [Character: Int64] = ["m": 60, "h": 3600, "d": 86400, "w": 604_800]

    public static func load(_ path: String) throws -> TrustPolicy {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw AirlockError.usage(FileManager.default.fileExists(atPath: path) ? "cannot read the policy file \(path)" : "the policy file \(path) does not exist")
        }
        defer { try? handle.close() }
        let data = try handle.read(upToCount: maximumSize + 1) ?? Data()
        guard data.count <= maximumSize else { throw AirlockError.usage("the policy file \(path) is over \(maximumSize) bytes; a policy is a few lines") }
        let directory = parentFolder(of: path)
        return try parse(String(decoding: data, as: UTF8.self), path: path, digest: try Digest.of(Array(data))) { name in
            name.hasPrefix("/") ? name : "\(directory)/\(name)"
        }
    }

    /// Parses policy text; `resolve` turns a key path as written into one to open.
    static func parse(_ text: String, path: String, digest: Digest, resolve: @escaping (String) -> String) throws -> TrustPolicy {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else { throw AirlockError.usage("the policy file \(path) is empty") }
            root = node
        } catch let error as AirlockError {
            throw error
        } catch {
            throw AirlockError.usage(YAMLProblem.describe(error, source: path))
        }
        let reader = Reader(path: path, resolve: resolve)
        let top = try reader.mapping(root, "the policy", known: fields)
        guard let version = top["version"] else { throw reader.problem(root, "has no version (write version: 1)") }
        guard version.node.int == 1 else { throw reader.problem(version.node, "has version \(version.node.string ?? "?"); this airlock reads version 1") }
        let roles = try reader.roles(top["roles"])
        let revoked = try top["revoked"].map { try reader.keys($0.node, "revoked") } ?? []
        try reader.checkDistinct(roles: roles, revoked: revoked, at: top["revoked"]?.node ?? root)
        let (maxAge, maxAgeText) = try top["max-age"].map { try reader.age($0.node) } ?? (nil, nil)
        let images = try top["images"].map { try reader.images($0.node) } ?? TrustPolicy.ImageRules()
        let bundle = try top["bundle"].map { try reader.string($0.node, "bundle") }
        return TrustPolicy(path: path, digest: digest, bundle: bundle, roles: roles.map { $0.role }, revoked: revoked,
                           maxAge: maxAge, maxAgeText: maxAgeText, images: images)
    }

    /// What the policy trusts, in lines (`airlock policy check`).
    public static func summary(_ policy: TrustPolicy) -> [String] {
        var lines = ["policy \(policy.path) (\(policy.digest))"]
        for role in policy.roles {
            let attests = role.attestsPolicy.map { ", each with a verdict that it met policy \($0)" } ?? ""
            lines.append("role \(role.name): \(role.threshold) of \(role.keys.count) key\(role.keys.count == 1 ? "" : "s") must sign\(attests)")
            lines += role.keys.map { "  \($0.shortID)  \($0.type.rawValue)  \($0.source)" }
        }
        if !policy.revoked.isEmpty {
            lines.append("revoked: a signature by any of these fails the bundle")
            lines += policy.revoked.map { "  \($0.shortID)  \($0.type.rawValue)  \($0.source)" }
        }
        if let bundle = policy.bundle { lines.append("bundle: the name must be \(bundle)") }
        if let age = policy.maxAgeText { lines.append("max-age: created at most \(age) ago, and at most 5 minutes ahead") }
        if !policy.images.sources.isEmpty { lines.append("images.sources: every image from \(policy.images.sources.joined(separator: ", "))") }
        if !policy.images.cosignKeys.isEmpty {
            lines.append("images.cosign-keys: every image signed with cosign by one of")
            lines += policy.images.cosignKeys.map { "  \($0.shortID)  \($0.source)" }
        }
        for kind in policy.images.require { lines.append("images.require: every image carries \(kind == .sbom ? "an SBOM" : "a \(kind.rawValue)")") }
        return lines
    }
}
