import Bundle
import Foundation
import OCI
import Yams

/// A local Helm chart archive made into the OCI artifact `helm push` makes of it
/// (helm.sh/helm pkg/registry/client.go `Push`, chart.go): config = Chart.yaml's metadata as
/// compact JSON, one layer = the .tgz byte for byte, manifest annotations from the metadata.
enum ChartSource {
    /// Largest Chart.yaml or values.yaml read from an archive.
    static let memberLimit = 4 << 20

    /// Reads and checks `path` (a .tgz with `NAME/Chart.yaml`) and lays it out; `created` is the
    /// bundle's creation time, used for `org.opencontainers.image.created`.
    static func load(path: String, shownAs shown: String, created: String) throws -> LocalArtifact {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw AirlockError.usage("the chart \(shown) does not exist")
        }
        guard !isDirectory.boolValue else {
            throw AirlockError.usage("the chart \(shown) is a folder; give the packaged chart (helm package \(shown))")
        }
        let entries: [(name: String, bytes: [UInt8]?)]
        do {
            entries = try GzipTar.entries(ofFile: path, limit: memberLimit) { Self.topLevel($0, is: "Chart.yaml") || Self.topLevel($0, is: "values.yaml") }
        } catch let error as BundleError {
            if case .io = error { throw AirlockError.io("cannot read the chart \(shown)") }
            throw AirlockError.usage("the chart \(shown) is not a gzip-compressed tar archive (\(error.description))")
        }
        guard let chartYAML = entries.first(where: { topLevel($0.name, is: "Chart.yaml") })?.bytes else {
            throw AirlockError.usage("the chart \(shown) holds no Chart.yaml in its top folder; it is not a Helm chart")
        }
        let metadata = try ChartMetadata(yaml: String(decoding: chartYAML, as: UTF8.self), chart: shown)
        let valuesBytes = entries.first(where: { topLevel($0.name, is: "values.yaml") })?.bytes
        let values = valuesBytes.map { ChartValues.images(in: String(decoding: $0, as: UTF8.self), appVersion: metadata.appVersion) } ?? []

        let (layerDigest, layerSize) = try LocalFile.digest(path, shown: shown)
        let layer = Descriptor(mediaType: MediaType.helmChartContent, digest: layerDigest, size: layerSize)
        let configBytes = metadata.configJSON.bytes
        let config = Descriptor(mediaType: MediaType.helmConfig, digest: try Digest.of(configBytes), size: Int64(configBytes.count))
        let manifestJSON = GoJSON.object([
            ("schemaVersion", .int(2)),
            ("config", descriptorJSON(config)),
            ("layers", .array([descriptorJSON(layer)])),
            ("annotations", .map(metadata.annotations(created: created).mapValues { .string($0) })),
        ])
        let manifest = try ManifestDocument(bytes: manifestJSON.bytes, declaredType: MediaType.ociManifest)
        let repository = "charts/\(metadata.name)"
        let tag = metadata.tag
        do {
            _ = try Reference(registry: "localhost", repository: repository, tag: tag)
        } catch {
            throw AirlockError.usage("the chart \(shown) cannot be pushed as \(Reference.spelled(repository, tag: tag, digest: nil)): \(error.description)")
        }
        var local = LocalArtifact(
            kind: .chart, repository: repository, tag: tag,
            artifact: .init(name: metadata.name, version: metadata.version, path: shown), manifest: manifest,
            blobs: [
                .init(descriptor: config, registry: "", repository: repository, bytes: configBytes),
                .init(descriptor: layer, registry: "", repository: repository, bytes: nil, localPath: path),
                .init(descriptor: manifest.descriptor(), registry: "", repository: repository, bytes: manifest.bytes),
            ])
        local.valuesImages = values
        return local
    }

    /// `NAME/FILE` with exactly one folder above it (subcharts' files are deeper).
    static func topLevel(_ name: String, is file: String) -> Bool {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1] == file
    }

    /// A descriptor as oras-go's `content.NewDescriptorFromBytes` gives it: media type, digest, size.
    static func descriptorJSON(_ descriptor: Descriptor) -> GoJSON {
        .object([("mediaType", .string(descriptor.mediaType)), ("digest", .string(descriptor.digest.description)), ("size", .int(descriptor.size))])
    }

    /// A chart's name and version from its OCI config (Helm's metadata JSON), for charts taken
    /// from a registry. Nil when the config is not Helm's or says neither.
    static func nameAndVersion(config bytes: [UInt8]) -> (name: String, version: String)? {
        struct Config: Decodable {
            let name: String?
            let version: String?
        }
        guard let config = try? JSONDecoder().decode(Config.self, from: Data(bytes)), let name = config.name, let version = config.version,
              BundleManifest.isPlainFileName(name), BundleManifest.isPlainFileName(version) else { return nil }
        return (name, version)
    }
}
