import Bundle
import Foundation
import OCI
import Registry

/// What `push --preflight` found: every check, and whether the push would go through.
public struct PreflightReport: Sendable, Encodable {
    /// The bundle checked, as every `--json` document names one.
    public let path: String
    public let name: String
    public let version: String
    public let manifestDigest: Digest
    /// `REGISTRY[/NAMESPACE]`.
    public let target: String
    public let checks: [TargetCheck]

    /// True when no check failed: a push now would write (exit 0); otherwise exit 8.
    public var wouldPush: Bool { !checks.contains { $0.outcome == .fail } }

    enum CodingKeys: String, CodingKey { case path, name, version, manifestDigest, target, checks, wouldPush }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(path, forKey: .path)
        try container.encode(name, forKey: .name)
        try container.encode(version, forKey: .version)
        try container.encode(manifestDigest, forKey: .manifestDigest)
        try container.encode(target, forKey: .target)
        try container.encode(checks, forKey: .checks)
        try container.encode(wouldPush, forKey: .wouldPush)
    }
}

extension Pusher {
    /// The push's own checks (`makePushPlan`: the same plan, the same refusals), every one run and
    /// reported, and nothing written: an upload session is opened and cancelled per repository,
    /// never a blob, manifest or tag committed. Failures of the registry as a whole (unreachable,
    /// TLS, not a registry, no credentials) end it with their own sentence, as they end a push.
    public func preflight(_ request: PushRequest) async throws -> PreflightReport {
        guard request.bundle != "-" else {
            throw AirlockError.usage("push --preflight reads the bundle as a file (standard input can be read only once); give its path")
        }
        let trusted = try TrustedBundle.open(request.bundle, trust: request.trust)
        let file = trusted.file
        let manifest = file.header.manifest
        try CosignVerification(keys: request.requiredCosignKeys).check(manifest) { try file.read($0) }
        let checks = TargetChecks(collecting: true)
        checks.record("bundle", .pass, "\(manifest.name) \(manifest.version) verifies: \(manifest.images.count, noun: "image"), \(manifest.blobs.count, noun: "blob")")
        let client = transport.client(for: request.naming.registry)
        try await client.checkReachable()
        checks.record("registry", .pass, "\(request.naming.registry) answers as a container registry (\(try await client.scheme()))")
        let signed = SignedManifest(bytes: file.header.manifestBytes, signatures: file.header.slot.signatures)
        let plan = try await makePushPlan(manifest, signed: signed, request: request, client: client, checks: checks,
                                          held: { file.contains($0) }) { try file.read($0) }
        try checkOtherManifests(manifest, plans: plan.images) { try file.read($0) }
        if let first = plan.images.first, !(manifest.evidence ?? []).isEmpty {
            if try await client.referrers(repository: first.repository, subject: first.image.digest) != nil {
                checks.record("referrers", .pass, "the Referrers API answers: evidence is written with its subject")
            } else {
                checks.record("referrers", .adapted, "no Referrers API: evidence goes under the referrers tag schema (sha256-DIGEST tags)")
            }
        }
        return PreflightReport(path: request.bundle, name: manifest.name, version: manifest.version, manifestDigest: try signed.digest(),
                               target: request.naming.namespace.map { "\(request.naming.registry)/\($0)" } ?? request.naming.registry,
                               checks: checks.all)
    }
}
