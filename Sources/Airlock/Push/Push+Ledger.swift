import Bundle
import Foundation
import OCI
import Registry

/// The ledger's part in a push (format-spec §12): read it before any write and refuse a downgrade;
/// say which recorded bundle owned a tag that moves; record the bundle last, after every tag.
extension Pusher {
    /// The ledger's refusals (exit 8), from the ledger read before any write: a bundle whose name
    /// and version are recorded with another manifest, unless --allow-replace; and one that
    /// `BundleOrder` puts below a recorded one of its name, or that no rule orders against one,
    /// unless --allow-downgrade.
    func checkOrder(_ manifest: BundleManifest, signed: SignedManifest, request: PushRequest, ledger: Ledger) throws {
        let location = ledger.location
        let standing = BundleOrder.Standing(manifest, digest: try signed.digest())
        // The same name and version with another manifest is a different bundle (repacked, or
        // not the one reviewed): its own refusal and its own way out, before any ordering.
        let replaced = ledger.replaced(by: standing)
        if !request.allowReplace, let other = replaced {
            throw AirlockError.refused("\(location.target) records \(manifest.name) \(manifest.version) with the manifest \(other.standing.manifestDigest), not this bundle's \(standing.manifestDigest): another bundle under the same name and version (repacked?); pushing it would replace that record and may move its images' tags. Nothing was written; --allow-replace pushes it anyway (and the ledger notes it)")
        }
        guard !request.allowDowngrade else { return }
        let (newer, unordered) = ledger.outranking(standing)
        let conflicting = unordered.filter { $0.digest != replaced?.digest }
        if let newer = newer.first {
            throw AirlockError.refused("\(location.target) records \(newer.record.title) (pushed \(newer.record.pushedAt)), newer than this bundle's \(manifest.version); pushing \(manifest.name) \(manifest.version) would downgrade it. Nothing was written; --allow-downgrade pushes it anyway (and the ledger notes it)")
        }
        if let other = conflicting.first {
            throw AirlockError.refused("\(location.target) records \(other.standing.title), which this bundle \(standing.title) cannot be ordered against (\(BundleOrder.conflictReason(standing, other.standing))); pushing it could replace the other's images. Nothing was written; --allow-downgrade pushes it anyway (and the ledger notes it)")
        }
    }

    /// Notes who owned each tag this push would move, and applies --on-existing-tag. Runs after
    /// `markPresent` and before any write, so `fail` leaves the target untouched.
    func applyTagPolicy(_ plans: [Plan], request: PushRequest, ledger: Ledger) throws -> [Plan] {
        var plans = plans
        var conflicts: [String] = []
        for index in plans.indices {
            guard let tag = plans[index].tag, let previous = plans[index].previous, let top = plans[index].manifests.last else { continue }
            let repository = plans[index].repository
            plans[index].previousOwner = ledger.owners(repository: repository, tag: tag).first?.title
            switch request.onExistingTag {
            case .overwrite:
                break
            case .skip:
                plans[index].keepTag = true
            case .fail:
                if previous != top.digest {
                    let owner = plans[index].previousOwner.map { ", recorded for \($0)" } ?? ""
                    conflicts.append("\(Reference.spelled("\(request.naming.registry)/\(repository)", tag: tag, digest: nil)) names \(previous.short)\(owner), not \(top.digest.short)")
                }
            }
        }
        guard conflicts.isEmpty else {
            let shown = conflicts.prefix(5).joined(separator: "; ")
            throw AirlockError.refused("--on-existing-tag fail: \(conflicts.count) tag(s) already name another manifest: \(shown)\(conflicts.count > 5 ? "; …" : ""). Nothing was written")
        }
        return plans
    }

    /// The recorded version this push goes below (or beside), when --allow-downgrade let it.
    static func downgradedFrom(_ ledger: Ledger, _ standing: BundleOrder.Standing) -> String? {
        let (newer, conflicting) = ledger.outranking(standing)
        return (newer.first ?? conflicting.first)?.record.version
    }

    /// Records the bundle in the ledger once every image is in place (a push with failures records
    /// nothing: the ledger lists what the registry holds). A failure to write the record leaves the
    /// images pushed and is reported in `ledger.error` (exit 5): a re-run records it.
    func recordLedger(_ result: PushResult, plans: [Plan], manifest: BundleManifest, signed: SignedManifest,
                      ledger: Ledger, request: PushRequest, client: RegistryClient) async throws -> PushResult {
        guard result.failed.isEmpty else { return result }
        let images = zip(plans, result.images).map { plan, image in
            let tagged = plan.tag != nil && (!plan.keepTag || plan.previous == nil || plan.alreadyThere)
            return LedgerRecord.Image(name: plan.image.refName, source: image.source, repository: plan.repository,
                                      tag: tagged ? plan.tag : nil, digest: image.digest, mediaType: image.mediaType)
        }
        let evidence = result.evidence.map { LedgerRecord.Evidence(image: $0.image, kind: $0.kind.rawValue, target: $0.target, digest: $0.digest) }
        let record = LedgerRecord(
            name: manifest.name, version: manifest.version,
            bundleManifest: Descriptor(mediaType: BundleManifest.mediaType, digest: try Digest.of(signed.bytes), size: Int64(signed.bytes.count)),
            signatures: signed.signatures, pushedAt: LedgerRecord.now(), target: ledger.location.target,
            images: images, evidence: evidence,
            downgradedFrom: Self.downgradedFrom(ledger, BundleOrder.Standing(manifest, digest: try signed.digest())))
        let tag = try ledger.tag(for: record)
        var recorded = result
        recorded.ledger = PushResult.LedgerWrite(target: Reference.spelled("\(ledger.location.registry)/\(ledger.location.repository)", tag: tag, digest: nil), downgradedFrom: record.downgradedFrom)
        do {
            try await ledger.write(record, tag: tag, manifestBytes: signed.bytes, client: client)
        } catch let error as RegistryError {
            if case .unauthorized = error { throw error }
            recorded.ledger?.error = "every image was pushed, but the ledger record in \(ledger.location.registry)/\(ledger.location.repository) could not be written: \(error.description); run the push again to record it"
        }
        return recorded
    }
}
