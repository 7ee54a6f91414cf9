import Bundle
import Foundation
import OCI

/// Whether the bases given for a delta bundle provide every blob it leaves out (format-spec §9):
/// the one rule behind `verify --base` and `unpack --base`. A base provides only the blobs it
/// *stores*: a base that is itself a delta leaves some to its own base, which must be given too
/// (`--base B --base A`), nearest first or in any order.
public struct DeltaBase: Sendable {
    /// A base as given on the command line, its signed front already trusted.
    public struct Given: Sendable {
        public let path: String
        public let header: BundleHeader

        /// Reads the base's manifest and checks it against the delta's trust (its signers, not its age).
        public static func open(_ path: String, trust: Trust) throws -> Given {
            if path == "-" { throw AirlockError.usage("--base must be a file: only the bundle itself can come from standard input") }
            return Given(path: path, header: try TrustedBundle.header(path, trust: trust.forBase))
        }
    }

    /// The blobs one base provides to the delta.
    public struct Provision: Sendable {
        public let path: String
        public let blobs: [Descriptor]
    }

    /// Every external blob of the delta, by the base that stores it (nearest base first).
    public let provisions: [Provision]

    public var externalBlobs: [Descriptor] { provisions.flatMap(\.blobs) }

    /// Matches `bases` to the delta's chain and assigns each blob the delta leaves out to the
    /// nearest base that stores it. Nil for a delta without bases; refused for a complete bundle
    /// with bases, a base outside the chain, and a blob no given base stores (naming the bundle
    /// that holds it where the chain says).
    public static func resolve(_ delta: BundleManifest, name: String, bases: [Given]) throws -> DeltaBase? {
        guard let link = delta.base else {
            if let base = bases.first { throw AirlockError.usage("\(name) is not a delta bundle; --base \(base.path) does not apply") }
            return nil
        }
        guard !bases.isEmpty else { return nil }
        var remaining = link.externalBlobs
        var provisions: [Provision] = []
        var used: Set<String> = []
        var wanted = BundleManifest.Base.Link(name: link.name, version: link.version, manifestDigest: link.manifestDigest)
        var below: String?   // the given base whose own base `wanted` is
        while !remaining.isEmpty {
            guard let given = bases.first(where: { $0.header.manifestDigest == wanted.manifestDigest }) else {
                throw missing(wanted, remaining: remaining, below: below, bases: bases)
            }
            used.insert(given.path)
            let stored = Set(given.header.manifest.blobs.map(\.digest))
            let provided = remaining.filter { stored.contains($0.digest) }
            remaining.removeAll { stored.contains($0.digest) }
            if !provided.isEmpty { provisions.append(Provision(path: given.path, blobs: provided)) }
            guard !remaining.isEmpty else { break }
            guard let next = given.header.manifest.base else {
                throw AirlockError.verification("\(given.path) lacks \(remaining.count) blob(s) the delta relies on, e.g. \(remaining[0].digest); nothing was written")
            }
            wanted = BundleManifest.Base.Link(name: next.name, version: next.version, manifestDigest: next.manifestDigest)
            below = given.path
        }
        if let extra = bases.first(where: { !used.contains($0.path) }) {
            throw AirlockError.usage("\(extra.path) (\(extra.header.manifest.name) \(extra.header.manifest.version)) is not needed by \(name): the blobs it leaves out are in \(provisions.map(\.path).joined(separator: ", "))")
        }
        return DeltaBase(provisions: provisions)
    }

    /// The sentence for a link of the chain that was not given.
    static func missing(_ wanted: BundleManifest.Base.Link, remaining: [Descriptor], below: String?, bases: [Given]) -> AirlockError {
        let bundle = "\(wanted.name) \(wanted.version) (manifest \(wanted.manifestDigest.short))"
        guard let below else {
            let given = bases.map(\.path).joined(separator: ", ")
            return .verification("\(given) is not the base this delta was made against (\(bundle)); nothing was written")
        }
        return .notFound("\(below) is itself a delta against \(bundle): \(remaining.count, noun: "blob") this delta leaves out are there, not in \(below); give that bundle too (another --base); nothing was written")
    }
}
