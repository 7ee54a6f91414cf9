import Bundle
import Foundation
import OCI

/// Offline check of cosign's key-based signatures ("simple signing", cosign's tag scheme and its
/// OCI 1.1 referrers alike): the payload names the image's digest, and one of the keys signed the
/// payload's exact bytes (ECDSA P-256/SHA-256, base64 DER in the layer annotation).
/// https://github.com/sigstore/cosign/blob/main/specs/SIGNATURE_SPEC.md
public struct CosignVerification: Sendable {
    public let keys: [PublicKey]
    /// Payloads are a few hundred bytes; anything far larger is not a simple-signing payload.
    static let maximumPayload: Int64 = 1 << 20

    public init(keys: [PublicKey]) {
        self.keys = keys
    }

    /// How one manifest's signatures fared.
    enum Outcome {
        case valid
        case unsigned
        case otherKey
        case otherDigest(String)
    }

    /// Every image of `manifest`, and every child of an index (attestation manifests aside), must
    /// carry a valid signature by one of the keys. `read` returns the bytes of a manifest or a
    /// signature payload the bundle holds. A filtered index is a new document no one signed:
    /// its children are checked.
    public func check(_ manifest: BundleManifest, read: (Descriptor) throws -> [UInt8]) throws {
        guard !keys.isEmpty else { return }
        let signatures = Dictionary(grouping: (manifest.evidence ?? []).filter { $0.kind == .signature }, by: \.subject)
        // A local chart or file was made at pack, signed by nothing but the bundle's own signatures.
        for image in manifest.images where !image.isLocal {
            for subject in try Self.subjects(of: image, read: read) {
                let outcome = try self.outcome(for: subject, signatures: signatures[subject] ?? [], read: read)
                let name = "\(image.refName)" + (subject == image.digest ? "" : " (child \(subject.short))")
                switch outcome {
                case .valid:
                    continue
                case .unsigned:
                    throw AirlockError.verification("image \(name) has no cosign signature")
                case .otherKey:
                    throw AirlockError.verification("image \(name) is signed by another key than --cosign-key \(keys.map(\.shortID).joined(separator: ", "))")
                case .otherDigest(let named):
                    throw AirlockError.verification("image \(name) has a cosign signature for another digest (\(named)), not \(subject)")
                }
            }
        }
    }

    /// The manifests of an image that must be signed.
    static func subjects(of image: BundleManifest.Image, read: (Descriptor) throws -> [UInt8]) throws -> [Digest] {
        guard MediaType.isIndex(image.mediaType) else { return [image.digest] }
        let document = try ManifestDocument(bytes: try read(Descriptor(mediaType: image.mediaType, digest: image.digest, size: image.size)),
                                            declaredType: image.mediaType)
        guard case .index(let index) = document.content else { return [image.digest] }
        let children = index.manifests.filter { !BuildxAttestation.isAttestation($0) && MediaType.isImageManifest($0.mediaType) }.map(\.digest)
        return (image.sourceDigest == nil ? [image.digest] : []) + children
    }

    func outcome(for subject: Digest, signatures: [BundleManifest.Evidence], read: (Descriptor) throws -> [UInt8]) throws -> Outcome {
        var outcome = Outcome.unsigned
        for entry in signatures {
            let document = try ManifestDocument(bytes: try read(entry.manifest), declaredType: entry.manifest.mediaType)
            guard case .image(let signed) = document.content else { continue }
            for layer in signed.layers where layer.mediaType == EvidenceKind.simpleSigningLayer && layer.size <= Self.maximumPayload {
                guard let encoded = layer.annotations?[EvidenceKind.signatureAnnotation], !encoded.isEmpty else { continue }
                guard let signature = Data(base64Encoded: encoded) else {
                    if case .unsigned = outcome { outcome = .otherKey }
                    continue
                }
                let payload = try read(layer)
                guard keys.contains(where: { $0.verify(Array(signature), of: payload) }) else {
                    if case .unsigned = outcome { outcome = .otherKey }
                    continue
                }
                let named = Self.signedDigest(payload)
                if named == subject.description { return .valid }
                outcome = .otherDigest(named ?? "none")
            }
        }
        return outcome
    }

    /// `critical.image.docker-manifest-digest` of a simple-signing payload.
    static func signedDigest(_ payload: [UInt8]) -> String? {
        struct Payload: Decodable {
            struct Critical: Decodable {
                struct Image: Decodable {
                    let digest: String?
                    enum CodingKeys: String, CodingKey { case digest = "docker-manifest-digest" }
                }
                let image: Image?
            }
            let critical: Critical?
        }
        return (try? JSONDecoder().decode(Payload.self, from: Data(payload)))?.critical?.image?.digest
    }
}
