import Bundle
import Foundation
import OCI
import Registry

/// Reads the ledger at `REG[/NS]` and, with `check`, holds every recorded image to the registry:
/// each manifest (an index's children too) by digest, and each tag to the recorded digest.
public struct StatusReader: Sendable {
    let transport: RegistryTransport

    public init(transport: RegistryTransport) { self.transport = transport }

    /// With `trust`, every record's signatures and the policy are checked again (`TrustCheck`).
    public func status(_ location: LedgerLocation, check: Bool, trust: Trust? = nil, concurrency: Int = 4) async throws -> (StatusReport, Ledger) {
        let client = transport.client(for: location.registry)
        try await client.checkReachable()
        let ledger = try await Ledger.read(location, client: client, concurrency: concurrency)
        var bundles: [StatusReport.Bundle] = []
        for entry in ledger.entries {
            let record = entry.record
            let sizes = Dictionary(entry.manifest.images.map { ($0.refName, $0.size) }, uniquingKeysWith: { first, _ in first })
            let images = try await BoundedConcurrency.map(record.images, limit: concurrency) { image in
                try await self.image(image, size: sizes[image.name] ?? 0, registry: location.registry, check: check, client: client)
            }
            bundles.append(StatusReport.Bundle(
                name: record.name, version: record.version, pushedAt: record.pushedAt, airlockVersion: record.airlockVersion,
                signers: record.signatures.map { SignatureReport.Signer(keyID: $0.keyID, algorithm: $0.algorithm, verified: nil, keySource: nil) },
                manifestDigest: record.bundleManifest.digest,
                record: Reference.spelled("\(location.registry)/\(location.repository)", tag: entry.tag, digest: nil), downgradedFrom: record.downgradedFrom, images: images,
                trust: trust.map { Self.recheck(entry, location: location, trust: $0) }))
        }
        let states = bundles.flatMap(\.images).compactMap(\.state)
        func count(_ state: StatusReport.ImageState) -> Int? { check ? states.filter { $0 == state }.count : nil }
        let report = StatusReport(target: location.target, ledger: "\(location.registry)/\(location.repository)", bundles: bundles,
                                  unreadable: ledger.unreadable, intact: count(.intact), missing: count(.missing), moved: count(.moved),
                                  untrusted: trust == nil ? nil : bundles.filter { $0.trust?.passed == false }.count)
        return (report, ledger)
    }

    /// One record held to `trust` again, through the one check every reader makes.
    static func recheck(_ entry: Ledger.Entry, location: LedgerLocation, trust: Trust) -> StatusReport.TrustCheck {
        let name = Reference.spelled("\(location.registry)/\(location.repository)", tag: entry.tag, digest: nil)
        do {
            let (_, policy, _) = try trust.forRecord.check(SignatureSlot(signatures: entry.record.signatures), manifestBytes: entry.manifestBytes, name: name)
            return StatusReport.TrustCheck(passed: true, error: nil, policy: policy)
        } catch let violation as PolicyViolation {
            return StatusReport.TrustCheck(passed: false, error: violation.description, policy: violation.report)
        } catch {
            return StatusReport.TrustCheck(passed: false, error: String(describing: error), policy: nil)
        }
    }

    func image(_ image: LedgerRecord.Image, size: Int64, registry: String, check: Bool, client: RegistryClient) async throws -> StatusReport.Image {
        let target = Reference.spelled("\(registry)/\(image.repository)", tagOr: image.digest, tag: image.tag)
        func report(_ state: StatusReport.ImageState?, current: Digest? = nil, missing: [Digest]? = nil) -> StatusReport.Image {
            StatusReport.Image(name: image.name, source: image.source, target: target, digest: image.digest, mediaType: image.mediaType, size: size, state: state, current: current, missingManifests: missing)
        }
        guard check else { return report(nil) }
        let graph = try await ImageGraph.walk(image.digest, named: target, repository: image.repository, client: client)
        if !graph.missing.isEmpty { return report(.missing, missing: graph.missing) }
        guard let tag = image.tag else { return report(.intact) }
        let current: Digest?
        do {
            current = try await client.manifestDescriptor(repository: image.repository, reference: tag)?.digest
        } catch RegistryError.notFound {
            current = nil
        }
        switch current {
        case nil: return report(.missing)
        case image.digest?: return report(.intact)
        default: return report(.moved, current: current)
        }
    }
}
