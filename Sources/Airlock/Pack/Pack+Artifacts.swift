import Bundle
import Foundation
import OCI

/// Charts and files: what pack does besides images.
extension Packer {
    /// A private folder for folder archives, removed when the pack ends.
    static func scratchDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.path + "/airlock-pack-" + UUID().uuidString
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw AirlockError.io("cannot create a temporary folder in \(FileManager.default.temporaryDirectory.path)")
        }
        return path
    }

    /// Every local chart and file, checked and laid out (a problem is one sentence, before any fetch).
    static func localArtifacts(_ request: PackRequest, created: (text: String, seconds: Int64), scratch: String) throws -> [LocalArtifact] {
        var result: [LocalArtifact] = []
        for chart in request.localCharts {
            result.append(try ChartSource.load(path: chart.path, shownAs: chart.shown, created: created.text))
        }
        for file in request.files {
            result.append(try FileArtifact.load(path: file.path, shownAs: file.shown, name: file.name, version: request.version,
                                                created: created.text, mtime: created.seconds, scratch: scratch))
        }
        return result
    }

    /// A local artifact as a walked image: its manifest is the top, nothing to look up.
    static func walked(_ local: LocalArtifact) -> Walked {
        let resolved = ResolvedTag(repository: local.repository, tag: local.tag, digest: local.manifest.digest,
                                   mediaType: local.manifest.mediaType, size: Int64(local.manifest.bytes.count))
        var walked = Walked(resolved: resolved, pattern: nil, top: local.manifest, sourceDigest: nil, platforms: [],
                            blobs: local.blobs, subjects: [])
        walked.kind = local.kind
        walked.artifact = local.artifact
        return walked
    }

    /// A chart from a registry: its config must be Helm's, which names the chart and its version.
    static func markChart(_ image: inout Walked) throws {
        guard case .image(let manifest) = image.top.content, manifest.config.mediaType == MediaType.helmConfig else {
            throw AirlockError.usage("\(image.resolved.name) is not a Helm chart (its config is not \(MediaType.helmConfig)); list it under images")
        }
        guard let config = image.blobs.first(where: { $0.descriptor.digest == manifest.config.digest })?.bytes,
              let chart = ChartSource.nameAndVersion(config: config) else {
            throw AirlockError.usage("\(image.resolved.name) is a Helm chart whose config does not give a plain name and version")
        }
        image.kind = .chart
        image.artifact = .init(name: chart.name, version: chart.version, path: nil)
    }

    /// Two different things under one name in the bundle would be one tag at the target.
    static func checkNames(_ walked: [Walked]) throws {
        var seen: [String: Walked] = [:]
        for image in walked where image.isLocal {
            let name = Reference.spelled(image.resolved.repository, tagOr: image.top.digest, tag: image.resolved.tag)
            if let other = seen[name], other.top.digest != image.top.digest {
                throw AirlockError.usage("\(other.artifact?.path ?? "") and \(image.artifact?.path ?? "") would both be \(name); give one of them another name")
            }
            seen[name] = image
        }
    }

    /// Streams a local file into a blob of the bundle (its digest is checked by the writer).
    static func copy(_ path: String, to sink: BlobSink, progress: TransferProgress) throws {
        try LocalFile.forEachChunk(path) { chunk in
            try sink.write(chunk)
            progress.add(Int64(chunk.count))
        }
    }

    /// `chart NAME VERSION (PATH): values.yaml KEY names IMAGE, which the bundle does not hold`.
    static func missingChartImages(_ local: [LocalArtifact], images: [BundleManifest.Image]) -> [String] {
        let containers = images.filter(\.isContainer)
        var result: [String] = []
        for artifact in local where artifact.kind == .chart {
            for reference in artifact.valuesImages where !containers.contains(where: {
                ChartValues.matches(reference, source: $0.source, tag: $0.tag, digest: $0.sourceDigest ?? $0.digest)
            }) {
                result.append("chart \(artifact.artifact.name) \(artifact.artifact.version ?? "") (\(artifact.artifact.path ?? "")): values.yaml \(reference.key) names \(reference.description), which the bundle does not hold")
            }
        }
        return result
    }
}
