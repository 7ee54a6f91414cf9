import Bundle
import Foundation
import OCI

/// `airlock verify`: one pass over a bundle (a file, its parts, or standard input) that checks
/// every signature, digest and structure (`BundleVerifier`), every image's cosign signature with
/// cosign keys, and with bases that they provide what a delta leaves out (`DeltaBase`).
public struct Verifier {
    public let trust: Trust
    public let cosignKeys: [PublicKey]
    public let progress: TransferProgress

    /// `cosignKeys`: `--cosign-key`; a policy's `images.cosign-keys` count too.
    public init(trust: Trust, cosignKeys: [PublicKey] = [], progress: TransferProgress = TransferProgress()) {
        self.trust = trust
        self.cosignKeys = cosignKeys + (trust.policy?.images.cosignKeys ?? [])
        self.progress = progress
    }

    /// What a verification established; `verify --json` (format-spec/json/verify.schema.json).
    public struct Report: Sendable, Encodable {
        public let ok: Bool
        public let error: String?
        public let path: String
        public let name: String?
        public let version: String?
        public let manifestDigest: Digest?
        public let signers: [SignatureReport.Signer]?
        public let images: [ImageReport]?
        /// Blobs checked (their digest and size).
        public let blobCount: Int?
        public let uniqueBytes: Int64?
        public let externalBlobs: [Descriptor]?
        /// With a policy: every rule, met or not, and the evidence for it.
        public let policy: PolicyReport?
        /// On failure: the exit status and its meaning, as every command's failure document gives them.
        public var status: Int32? = nil
        public var meaning: String? = nil

        /// A failure sets only `ok`, `error`, `path`, `status` and `meaning`, and `policy` when the
        /// policy decided it.
        public static func failed(_ error: any Error, sentence: String, path: String) -> Report {
            let status = ExitStatus.of(error)
            var report = Report(ok: false, error: sentence, path: path, name: nil, version: nil, manifestDigest: nil,
                                signers: nil, images: nil, blobCount: nil, uniqueBytes: nil, externalBlobs: nil,
                                policy: (error as? PolicyViolation)?.report)
            report.status = status.rawValue
            report.meaning = status.summary
            return report
        }
    }

    /// A verified bundle, and where a delta's blobs are when bases were given.
    public struct Outcome: Sendable {
        public let report: Report
        public let manifest: BundleManifest
        /// Set when bases were given: every blob the delta leaves out, by the base that stores it.
        public let delta: DeltaBase?

        /// The signers whose signatures verified, as `KEY (key id)`.
        public var trustedSigners: [String] {
            (report.signers ?? []).filter { $0.verified == true }.map { "\($0.keySource ?? "") (\($0.keyID.hex.prefix(16)))" }
        }
    }

    public func verify(_ bundle: String, bases: [String] = []) throws -> Outcome {
        let given = try bases.map { try DeltaBase.Given.open($0, trust: trust) }
        let cosign = CosignVerification(keys: cosignKeys)
        let held = CosignEvidenceBytes()
        let verified = try BundleVerifier(trust: trust).verify(
            input: try BundleInput.open(bundle), progress: progress, phase: "verify",
            onBlobData: { descriptor, bytes in if !cosign.keys.isEmpty { held.take(descriptor, bytes) } })
        try cosign.check(verified.manifest, read: held.read)
        let delta = try DeltaBase.resolve(verified.manifest, name: bundle, bases: given)
        let report = Report(ok: true, error: nil, path: bundle, name: verified.manifest.name, version: verified.manifest.version,
                            manifestDigest: verified.manifestDigest, signers: verified.signatures.signers,
                            images: verified.manifest.images.map(ImageReport.init), blobCount: verified.blobsVerified,
                            uniqueBytes: verified.bytesVerified, externalBlobs: verified.externalBlobs, policy: verified.policy)
        return Outcome(report: report, manifest: verified.manifest, delta: delta)
    }
}
