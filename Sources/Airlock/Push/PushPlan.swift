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
    func makePushPlan(_ manifest: BundleManifest, signed: SignedManifest, request: PushRequest, client: RegistryClient,
                      held: (Digest) -> Bool, read: (Descriptor) async throws -> [UInt8]) async throws -> PushPlan {
        let ledger = try await readLedger(manifest, signed: signed, request: request, client: client)
        var (plans, missingManifests) = try await makePlans(manifest, request: request, client: client, read: read)
        plans = try applyTagPolicy(try await markPresent(plans, client: client, concurrency: request.concurrency), request: request, ledger: ledger)
        let mounts = try await planExternalBlobs(plans, manifest: manifest, held: held, client: client, missing: missingManifests)
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
