import Foundation
import OCI

/// Fixed files of the OCI image layout.
/// https://github.com/opencontainers/image-spec/blob/main/image-layout.md
public enum OCILayout {
    public static let layoutFile = Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8)
    public static let refNameAnnotation = "org.opencontainers.image.ref.name"
    public static let imageNameAnnotation = "io.containerd.image.name"

    /// A blob's path in the layout (and its tar entry name): `blobs/<algorithm>/<hex>`.
    public static func blobPath(_ digest: Digest) -> String { "blobs/\(digest.algorithm.rawValue)/\(digest.hex)" }

    /// index.json listing `manifests`, in the given order, compact and deterministic.
    public static func indexJSON(_ manifests: [Descriptor]) throws -> [UInt8] {
        let index = ImageIndex(mediaType: MediaType.ociIndex, manifests: manifests)
        return try CanonicalJSON.compact(index)
    }
}
