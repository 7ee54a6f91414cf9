import Bundle
import Foundation
import OCI
import Registry

/// Everything a push will write, decided from reads alone (HEADs, GETs, the ledger), with every
/// refusal already applied: a downgrade or conflict (`BundleOrder`), two images on one name,
/// `--on-existing-tag fail`, and blobs a delta relies on that the target lacks. A push from a
/// file and one from standard input make the same plan, and write nothing before it exists.
struct PushPlan: Sendable {
    let ledger: Ledger
    let images: [Pusher.Plan]
    /// Blobs a delta does not hold that one repository of this push has and another needs:
    /// mounted as the first write.
    let mounts: [Mount]

    struct Mount: Sendable, Hashable {
        let blob: Digest
        let from: String
        let into: String
    }

    /// The plan's first write. A mount the registry no longer answers leaves the blob missing,
    /// which the upload of the image then names.
    func mountExternalBlobs(client: RegistryClient) async throws {
        for mount in mounts {
            _ = try await client.mountBlob(mount.blob, from: mount.from, into: mount.into)
        }
    }
}

extension Pusher {
    /// Makes the plan and applies every refusal. `held` says whether the bundle stores a blob;
    /// `read` gives the bytes of a manifest it stores.
    /// `checks` collecting (a preflight) records each refusal and goes on; otherwise the first throws.
    func makePushPlan(_ manifest: BundleManifest, signed: SignedManifest, request: PushRequest, client: RegistryClient,
                      checks: TargetChecks = TargetChecks(collecting: false),
                      held: (Digest) -> Bool, read: (Descriptor) async throws -> [UInt8]) async throws -> PushPlan {
        let location = LedgerLocation(registry: request.naming.registry, namespace: request.naming.namespace)
        let ledger = try await Ledger.read(location, client: client, concurrency: request.concurrency)
        _ = try await checks.run("ledger", passed: "\(location.target) records no newer or conflicting \(manifest.name)") {
            try checkOrder(manifest, signed: signed, request: request, ledger: ledger)
        }
        var (plans, missingManifests) = try await makePlans(manifest, request: request, client: client, read: read)
        // Access first: a name the registry refuses is refused for reads too (GitLab's depth limit).
        let repositories = Array(Set(plans.map(\.repository))).sorted() + [location.repository]
        let refused = try await checkPushAccess(repositories, request: request, client: client, checks: checks)
        plans = try await markPresent(plans, client: client, concurrency: request.concurrency, skipping: refused)
        let present = plans
        plans = try await checks.run("tags", passed: "no tag the push moves is held back (--on-existing-tag \(request.onExistingTag.rawValue))") {
            try applyTagPolicy(present, request: request, ledger: ledger)
        } ?? plans
        let planned = plans
        let mounts = try await checks.run("base", passed: manifest.base.map { "every blob the delta relies on is in the target or mountable there (base \($0.name) \($0.version))" } ?? "a whole bundle: it relies on nothing in the target") {
            try await planExternalBlobs(planned, manifest: manifest, held: held, client: client, missing: missingManifests)
        } ?? []
        return PushPlan(ledger: ledger, images: plans, mounts: mounts)
    }

    /// A delta relies on blobs it does not hold: each must already be in its target repository,
    /// or be in another repository of this push to be mounted from. Only HEADs here; refused
    /// (nothing written) when any is in neither.
    func planExternalBlobs(_ plans: [Plan], manifest: BundleManifest, held: (Digest) -> Bool, client: RegistryClient,
                           missing manifests: [String]) async throws -> [PushPlan.Mount] {
        let external = Set((manifest.base?.externalBlobs ?? []).map(\.digest))
        guard let base = manifest.base, !external.isEmpty else { return [] }
        let repositories = Array(Set(plans.map(\.repository))).sorted()
        var missing = manifests
        var mounts: [PushPlan.Mount] = []
        var checked: Set<String> = []
        for plan in plans {
            for blob in plan.blobs where external.contains(blob.digest) && !held(blob.digest) {
                guard checked.insert("\(blob.digest)@\(plan.repository)").inserted else { continue }
                if try await client.hasBlob(blob, repository: plan.repository) { continue }
                var holder: String?
                for other in repositories where other != plan.repository {
                    if try await client.hasBlob(blob, repository: other) {
                        holder = other
                        break
                    }
                }
                if let holder {
                    mounts.append(PushPlan.Mount(blob: blob.digest, from: holder, into: plan.repository))
                } else {
                    missing.append("\(blob.digest) (\(plan.repository))")
                }
            }
        }
        guard missing.isEmpty else {
            let shown = missing.prefix(5).joined(separator: ", ")
            throw AirlockError.notFound("this delta bundle relies on \(missing.count) blob(s) the target lacks; push the base bundle \(base.name) \(base.version) first. Missing: \(shown)\(missing.count > 5 ? ", …" : ""). Nothing was written")
        }
        return mounts
    }
}
