import Bundle
import OCI

/// A chart or files packed from local paths: the OCI artifact airlock makes of it (manifest,
/// config, layers), ready before anything is fetched. Layers stay in their files until written.
struct LocalArtifact: Sendable {
    let kind: BundleManifest.Image.Kind
    /// `charts/NAME` or `files/NAME`: the repository it is pushed to, under the namespace.
    let repository: String
    let tag: String
    let artifact: BundleManifest.Image.Artifact
    let manifest: ManifestDocument
    /// Config, layers and the manifest itself.
    let blobs: [Packer.PackedBlob]
    /// Images a chart's values.yaml names (empty for files).
    var valuesImages: [ChartValues.ImageReference] = []
}
