/// Media types airlock recognises. Unknown types pass through untouched; these only drive traversal.
/// OCI: https://github.com/opencontainers/image-spec/blob/main/media-types.md
/// Docker: https://distribution.github.io/distribution/spec/manifest-v2-2/
public enum MediaType {
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let ociConfig = "application/vnd.oci.image.config.v1+json"
    public static let ociLayer = "application/vnd.oci.image.layer.v1.tar"
    public static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let ociLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    public static let ociEmpty = "application/vnd.oci.empty.v1+json"
    public static let ociLayout = "application/vnd.oci.layout.header.v1+json"

    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    public static let dockerForeignLayerGzip = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

    /// Helm's chart layout (helm.sh/helm pkg/registry/constants.go).
    public static let helmConfig = "application/vnd.cncf.helm.config.v1+json"
    public static let helmChartContent = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
    /// ORAS: a layer that `oras pull` unpacks (a folder), and the digest of the tar inside its gzip
    /// (oras-go content/file/file.go).
    public static let orasUnpackAnnotation = "io.deis.oras.content.unpack"
    public static let orasContentDigestAnnotation = "io.deis.oras.content.digest"
    /// image-spec annotations.md
    public static let titleAnnotation = "org.opencontainers.image.title"
    public static let createdAnnotation = "org.opencontainers.image.created"

    /// Every manifest type a pull accepts, in preference order (the `Accept` list).
    public static let manifestTypes = [ociIndex, dockerManifestList, ociManifest, dockerManifest]

    public static func isIndex(_ type: String) -> Bool {
        type == ociIndex || type == dockerManifestList
    }

    public static func isImageManifest(_ type: String) -> Bool {
        type == ociManifest || type == dockerManifest
    }

    public static func isManifest(_ type: String) -> Bool {
        isIndex(type) || isImageManifest(type)
    }
}
