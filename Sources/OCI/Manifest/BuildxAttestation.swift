/// BuildKit's attestation manifests inside an index (one per platform manifest).
/// https://github.com/moby/buildkit/blob/master/docs/attestations/attestation-storage.md
public enum BuildxAttestation {
    public static let typeAnnotation = "vnd.docker.reference.type"
    public static let digestAnnotation = "vnd.docker.reference.digest"
    public static let typeValue = "attestation-manifest"

    /// The platform manifest `child` describes, when `child` is an attestation manifest.
    public static func subject(of child: Descriptor) -> Digest? {
        guard child.annotations?[typeAnnotation] == typeValue, let text = child.annotations?[digestAnnotation] else { return nil }
        return try? Digest(parsing: text)
    }

    public static func isAttestation(_ child: Descriptor) -> Bool {
        child.annotations?[typeAnnotation] == typeValue
    }
}
