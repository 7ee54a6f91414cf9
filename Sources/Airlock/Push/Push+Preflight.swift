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
    public let wouldPush: Bool

    init(path: String, name: String, version: String, manifestDigest: Digest, target: String, checks: [TargetCheck]) {
        (self.path, self.name, self.version, self.manifestDigest, self.target, self.checks) = (path, name, version, manifestDigest, target, checks)
        wouldPush = !checks.contains { $0.outcome == .fail }
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
        let checks = TargetChecks(collecting: true)
        let planned = try await planFromFile(request, checks: checks)
        let (manifest, client, plan) = (planned.manifest, planned.client, planned.plan)
        if let first = plan.images.first, !(manifest.evidence ?? []).isEmpty {
            if try await client.referrers(repository: first.repository, subject: first.image.digest) != nil {
                checks.record("referrers", .pass, "the Referrers API answers: evidence is written with its subject")
            } else {
                checks.record("referrers", .adapted, "no Referrers API: evidence goes under the referrers tag schema (sha256-DIGEST tags)")
            }
        }
        return PreflightReport(path: request.bundle, name: manifest.name, version: manifest.version, manifestDigest: try planned.signed.digest(),
                               target: request.naming.namespace.map { "\(request.naming.registry)/\($0)" } ?? request.naming.registry,
                               checks: checks.all)
    }
}
