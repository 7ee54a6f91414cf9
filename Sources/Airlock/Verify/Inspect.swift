import Bundle
import OCI

/// Tells what a bundle holds from its manifest alone, instant on any size. The whole file's
/// structure is checked (seek table, metadata, end marker), so a truncated copy or a split bundle
/// with a part missing is refused; signatures are checked against the given keys; no blob is read.
public enum Inspector {
    /// `inspect --json` (format-spec/json/inspect.schema.json).
    public struct Report: Sendable, Encodable {
        public let name: String
        public let version: String
        public let formatVersion: String
        public let created: String
        public let path: String
        public let manifestDigest: Digest
        /// Bytes of the bundle file.
        public let size: Int64
        public let signers: [SignatureReport.Signer]
        public let images: [ImageReport]
        public let blobCount: Int
        public let uniqueBytes: Int64
        public let totalBytes: Int64
        public let base: BundleManifest.Base?
        /// Signatures, SBOMs and attestations per image, then every entry as the bundle lists it.
        public let evidenceSummary: [EvidenceSummary]
        public let evidence: [BundleManifest.Evidence]
        public let cosignKeys: [Digest]
        /// Countersigners' recorded verdicts (`sign --policy`); absent when there are none.
        public let verdicts: [Verdict]?
    }

    /// The report, and what only the text shows besides it.
    public struct Inspection: Sendable {
        public let report: Report
        /// Every given key signed and every signature by a given key verified (else exit 3).
        public let signaturesValid: Bool
        /// The images shown, by repository, newest tag first (the report keeps the bundle's signed order).
        public let groups: [ImageListing.Group]
        /// Of the images shown, the charts and the files (what `extract` writes).
        public let charts: [BundleManifest.Image]
        public let files: [BundleManifest.Image]
        /// `refName` of every container image the bundle holds, shown or not.
        public let containers: Set<String>
        /// How many images the bundle holds, shown or not.
        public let imageCount: Int
        /// The parts of a split bundle, in order (nil for one file).
        public let parts: [String]?
        /// A split bundle read without its `.parts` table (its parts taken in number order).
        public let partsUntabled: Bool
    }

    /// Inspects the bundle at `path`, showing only the images the `REPOSITORY[:TAGS]` filters
    /// `images` match (all without one), its signatures checked against the public key files
    /// `keyFiles`. The bundle is read first: when it cannot be, that is the error, whatever else is wrong.
    public static func inspect(_ path: String, images: [String] = [], keyFiles: [String] = []) throws -> Inspection {
        // The whole file, not just its front: a truncated copy must not look complete.
        let file = try BundleFile(path: path)
        _ = try file.checkStructure()
        let filters = try images.map { try ImageListing.Filter(parsing: $0) }
        let keys = try keyFiles.map { try PublicKey.load(path: $0) }
        let header = file.header
        let manifest = header.manifest
        let groups = ImageListing.groups(manifest.images, filters: filters)
        let shown = Set(groups.flatMap(\.images).map(\.refName))
        let listed = manifest.images.filter { shown.contains($0.refName) }
        let signatures = SignatureReport.check(header.slot, manifest: header.manifestBytes, required: keys)
        let report = Report(
            name: manifest.name, version: manifest.version, formatVersion: manifest.formatVersion, created: manifest.created, path: path,
            manifestDigest: header.manifestDigest, size: header.fileSize, signers: signatures.signers, images: listed.map(ImageReport.init),
            blobCount: manifest.blobs.count, uniqueBytes: manifest.blobs.reduce(0) { $0 + $1.size },
            totalBytes: manifest.images.reduce(0) { $0 + $1.totalSize }, base: manifest.base,
            evidenceSummary: EvidenceSummary.of(manifest).filter { shown.contains($0.image) },
            evidence: (manifest.evidence ?? []).filter { shown.contains($0.image) }, cosignKeys: manifest.cosignKeys ?? [],
            verdicts: header.slot.attestations == nil ? nil : Verdict.all(in: header.slot, manifest: header.manifestDigest, keys: keys))
        return Inspection(
            report: report, signaturesValid: signatures.ok, groups: groups,
            charts: listed.filter { $0.kind == .chart }, files: listed.filter { $0.kind == .file },
            containers: Set(manifest.images.filter(\.isContainer).map(\.refName)),
            imageCount: manifest.images.count,
            parts: file.input.isSplit ? file.input.partPaths : nil, partsUntabled: file.input.table == nil)
    }
}
