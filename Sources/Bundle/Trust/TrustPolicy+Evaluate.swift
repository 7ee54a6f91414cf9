import Foundation
import OCI

extension TrustPolicy {
    /// Applies every rule to a bundle's signed front; each rule gives one line, met or not.
    public func evaluate(slot: SignatureSlot, manifestBytes: [UInt8], manifest: BundleManifest, now: Date) -> PolicyReport {
        let valid = Self.validSigners(slot, manifestBytes: manifestBytes, keys: roleKeys + revoked)
        // Hashing fails only with a broken OpenSSL; then no recorded verdict counts.
        let manifestDigest = try? Digest.of(manifestBytes)
        var rules = roles.map { role in
            Self.rule(for: role, valid: role.attestsPolicy.map { Self.attesting(valid, role: role, policy: $0, slot: slot, manifest: manifestDigest) } ?? valid)
        }
        if !revoked.isEmpty { rules.append(Self.revokedRule(revoked, valid: valid)) }
        if let maxAge { rules.append(ageRule(manifest.created, maxAge: maxAge, now: now)) }
        if let bundle {
            rules.append(PolicyReport.Rule(rule: "bundle", passed: manifest.name == bundle,
                                           detail: manifest.name == bundle ? "bundle name is \(bundle)" : "bundle name \(manifest.name) is not \(bundle)"))
        }
        let containers = manifest.images.filter { $0.kind == nil }
        if !images.sources.isEmpty { rules.append(sourcesRule(containers)) }
        for kind in images.require { rules.append(Self.evidenceRule(kind, images: containers, manifest: manifest)) }
        return PolicyReport(policy: path, policyDigest: digest, rules: rules)
    }

    /// `vendor` for `keys/vendor.pub`: how a line names a key.
    static func name(of key: PublicKey) -> String {
        let file = key.source.split(separator: "/").last.map(String.init) ?? key.source
        return file.hasSuffix(".pub") ? String(file.dropLast(4)) : file
    }

    /// The ids of `keys` whose signature in the slot verifies over the manifest bytes.
    static func validSigners(_ slot: SignatureSlot, manifestBytes: [UInt8], keys: [PublicKey]) -> Set<Digest> {
        var valid: Set<Digest> = []
        for signature in slot.signatures {
            guard let key = keys.first(where: { $0.id == signature.keyID }), signature.verify(manifestBytes, with: key) else { continue }
            valid.insert(key.id)
        }
        return valid
    }

    /// The valid signers of `role` that also recorded a passing verdict naming `policy`.
    static func attesting(_ valid: Set<Digest>, role: Role, policy: Digest, slot: SignatureSlot, manifest: Digest?) -> Set<Digest> {
        guard let manifest else { return [] }
        return Set(role.keys.filter { key in
            valid.contains(key.id) && (slot.attestations ?? []).contains { attestation in
                guard let statement = attestation.statement(verifiedBy: key, manifest: manifest) else { return false }
                return statement.policyDigest == policy && statement.predicate.verificationResult == "PASSED"
            }
        }.map(\.id))
    }

    static func rule(for role: Role, valid: Set<Digest>) -> PolicyReport.Rule {
        let signed = role.keys.filter { valid.contains($0.id) }
        let count = Set(signed.map(\.id)).count
        let names = signed.map(name(of:)).joined(separator: ", ")
        let attesting = role.attestsPolicy.map { " attesting policy \($0.short)" } ?? ""
        var detail = "role \(role.name): \(count) of \(role.threshold) required signature\(role.threshold == 1 ? "" : "s")\(attesting) (\(names.isEmpty ? "none" : names))"
        if count < role.threshold {
            let others = role.keys.filter { !valid.contains($0.id) }.map(name(of:)).joined(separator: ", ")
            detail += "; missing: \(role.threshold - count == 1 ? "one" : String(role.threshold - count)) of \(others)"
        }
        return PolicyReport.Rule(rule: "role \(role.name)", passed: count >= role.threshold, detail: detail, evidence: signed.map(\.id.description))
    }

    static func revokedRule(_ revoked: [PublicKey], valid: Set<Digest>) -> PolicyReport.Rule {
        let used = revoked.filter { valid.contains($0.id) }
        guard let first = used.first else {
            return PolicyReport.Rule(rule: "revoked", passed: true, detail: "no signature by a revoked key")
        }
        return PolicyReport.Rule(rule: "revoked", passed: false, detail: "signed by revoked key \(name(of: first)) (\(first.shortID)…)",
                                 evidence: used.map(\.id.description))
    }

    func ageRule(_ created: String, maxAge: Int64, now: Date) -> PolicyReport.Rule {
        let limit = maxAgeText ?? "\(maxAge)s"
        let formatter = ISO8601DateFormatter()
        guard let date = formatter.date(from: created) else {
            return PolicyReport.Rule(rule: "max-age", passed: false, detail: "created '\(created)' is not a time, so max-age \(limit) cannot hold")
        }
        let age = Int64(now.timeIntervalSince(date).rounded(.down))
        if age > maxAge {
            return PolicyReport.Rule(rule: "max-age", passed: false, detail: "created \(created), older than max-age \(limit)")
        }
        if -age > Self.futureSkew {
            return PolicyReport.Rule(rule: "max-age", passed: false, detail: "created \(created), more than 5 minutes in the future")
        }
        return PolicyReport.Rule(rule: "max-age", passed: true, detail: "created \(created), within max-age \(limit)")
    }

    func sourcesRule(_ containers: [BundleManifest.Image]) -> PolicyReport.Rule {
        let foreign = containers.filter { image in !images.sources.contains { Glob.matches($0, image.source) } }
        guard let first = foreign.first else {
            return PolicyReport.Rule(rule: "images.sources", passed: true, detail: "every image comes from \(images.sources.joined(separator: ", "))")
        }
        return PolicyReport.Rule(rule: "images.sources", passed: false,
                                 detail: "image \(first.refName) comes from \(first.source), which matches none of \(images.sources.joined(separator: ", "))\(foreign.count > 1 ? " (and \(foreign.count - 1) more)" : "")",
                                 evidence: foreign.map(\.refName))
    }

    static func evidenceRule(_ kind: BundleManifest.Evidence.Kind, images: [BundleManifest.Image], manifest: BundleManifest) -> PolicyReport.Rule {
        let word = kind == .sbom ? "SBOM" : kind.rawValue
        let carrying = Set((manifest.evidence ?? []).filter { $0.kind == kind }.map(\.image))
        let lacking = images.filter { !carrying.contains($0.refName) }
        guard let first = lacking.first else {
            return PolicyReport.Rule(rule: "images.require \(kind.rawValue)", passed: true, detail: "every image carries an \(word)")
        }
        return PolicyReport.Rule(rule: "images.require \(kind.rawValue)", passed: false,
                                 detail: "image \(first.refName) carries no \(word)\(lacking.count > 1 ? " (and \(lacking.count - 1) more)" : "")",
                                 evidence: lacking.map(\.refName))
    }
}
