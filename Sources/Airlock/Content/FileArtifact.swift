import Bundle
import Foundation
import OCI

/// A local file or folder made into the OCI artifact `oras push` makes of it (oras-go `PackManifest`
/// 1.1 and content/file): an image manifest with `artifactType`, the empty config, and one layer
/// titled with the name: a file as its exact bytes, a folder as one tar+gzip layer that ORAS
/// unpacks (`io.deis.oras.content.unpack`), entries under the folder's name.
enum FileArtifact {
    static let artifactType = "application/vnd.airlock.file.v1"
    /// The empty config ORAS uses (image-spec `DescriptorEmptyJSON`), with its data inline.
    static let emptyConfig: [UInt8] = Array("{}".utf8)

    /// Checks `path` and lays it out; a folder's tar+gzip is written into `scratch`.
    static func load(path: String, shownAs shown: String, name given: String?, version: String, created: String, mtime: Int64,
                     scratch: String) throws -> LocalArtifact {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw AirlockError.usage(errno == ENOENT ? "the file \(shown) does not exist" : "cannot read the file \(shown)")
        }
        let trimmed = shown.hasSuffix("/") && shown.count > 1 ? String(shown.dropLast()) : shown
        let name = given ?? (trimmed as NSString).lastPathComponent
        guard BundleManifest.isPlainFileName(name) else {
            throw AirlockError.usage("\(shown) would be extracted as '\(name)', which is not a plain file name; give it a name")
        }
        let repository = "files/" + repositoryName(name)
        let tag = tagName(version)
        do {
            _ = try Reference(registry: "localhost", repository: repository, tag: tag)
        } catch {
            throw AirlockError.usage("\(shown) cannot be pushed as \(Reference.spelled(repository, tag: tag, digest: nil)): \(error.description)")
        }
        let (layer, layerPath) = try Self.layer(path, mode: status.st_mode & S_IFMT, shown: shown, name: name, mtime: mtime, scratch: scratch)
        let config = Descriptor(mediaType: MediaType.ociEmpty, digest: try Digest.of(emptyConfig), size: Int64(emptyConfig.count))
        let manifest = try Self.manifest(config: config, layer: layer, created: created)
        return LocalArtifact(
            kind: .file, repository: repository, tag: tag, artifact: .init(name: name, version: nil, path: shown), manifest: manifest,
            blobs: [
                .init(descriptor: config, registry: "", repository: repository, bytes: emptyConfig),
                .init(descriptor: layer, registry: "", repository: repository, bytes: nil, localPath: layerPath),
                .init(descriptor: manifest.descriptor(), registry: "", repository: repository, bytes: manifest.bytes),
            ])
    }

    /// The one layer: a file's exact bytes, or a folder's tar+gzip written into `scratch`; and
    /// the local path that holds its bytes.
    static func layer(_ path: String, mode: mode_t, shown: String, name: String, mtime: Int64,
                      scratch: String) throws -> (layer: Descriptor, path: String) {
        let layer: Descriptor
        var layerPath = path
        switch mode {
        case S_IFREG:
            let (digest, size) = try LocalFile.digest(path, shown: shown)
            layer = Descriptor(mediaType: MediaType.ociLayer, digest: digest, size: size, annotations: [MediaType.titleAnnotation: name])
        case S_IFDIR:
            let members = try folderMembers(path, shown: shown, name: name)
            layerPath = scratch + "/" + UUID().uuidString + ".tar.gz"
            let written: GzipTar.Written
            do {
                written = try GzipTar.write(members, mtime: mtime, to: layerPath)
            } catch let error as BundleError {
                throw AirlockError.io("cannot pack the folder \(shown): \(error.description)")
            }
            layer = Descriptor(mediaType: MediaType.ociLayerGzip, digest: written.digest, size: written.size, annotations: [
                MediaType.orasContentDigestAnnotation: written.tarDigest.description, MediaType.orasUnpackAnnotation: "true",
                MediaType.titleAnnotation: name,
            ])
        default:
            throw AirlockError.usage("\(shown) is neither a file nor a folder")
        }
        return (layer, layerPath)
    }

    /// The image manifest `oras push` writes: artifactType, the empty config inline, the layer.
    static func manifest(config: Descriptor, layer: Descriptor, created: String) throws -> ManifestDocument {
        let manifestJSON = GoJSON.object([
            ("schemaVersion", .int(2)),
            ("mediaType", .string(MediaType.ociManifest)),
            ("artifactType", .string(artifactType)),
            ("config", .object([("mediaType", .string(config.mediaType)), ("digest", .string(config.digest.description)),
                                ("size", .int(config.size)), ("data", .string("e30="))])),
            ("layers", .array([.object([("mediaType", .string(layer.mediaType)), ("digest", .string(layer.digest.description)),
                                        ("size", .int(layer.size)), ("annotations", .map((layer.annotations ?? [:]).mapValues { .string($0) }))])])),
            ("annotations", .map([MediaType.createdAnnotation: .string(created)])),
        ])
        return try ManifestDocument(bytes: manifestJSON.bytes, declaredType: MediaType.ociManifest)
    }

    /// Every entry under `folder`, depth first in name order (as Go's filepath.Walk, which ORAS
    /// uses), named `NAME/relative/path`. A link must point inside the folder; sockets, devices
    /// and FIFOs are refused.
    static func folderMembers(_ folder: String, shown: String, name: String) throws -> [GzipTar.Member] {
        guard let root = realPath(folder) else { throw AirlockError.io("cannot read the folder \(shown)") }
        var members: [GzipTar.Member] = [.directory(name: name)]
        func walk(_ directory: String, relative: String) throws {
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            } catch {
                throw AirlockError.io("cannot read the folder \(shown)/\(relative)")
            }
            for entry in names {
                let path = directory + "/" + entry
                let inner = relative.isEmpty ? entry : relative + "/" + entry
                let shownPath = (shown.hasSuffix("/") ? String(shown.dropLast()) : shown) + "/" + inner
                var status = stat()
                guard lstat(path, &status) == 0 else { throw AirlockError.io("cannot read \(shownPath)") }
                switch status.st_mode & S_IFMT {
                case S_IFDIR:
                    members.append(.directory(name: name + "/" + inner))
                    try walk(path, relative: inner)
                case S_IFREG:
                    members.append(.file(name: name + "/" + inner, path: path, size: Int64(status.st_size), executable: status.st_mode & 0o111 != 0))
                case S_IFLNK:
                    let target: String
                    do {
                        target = try FileManager.default.destinationOfSymbolicLink(atPath: path)
                    } catch {
                        throw AirlockError.io("cannot read the link \(shownPath)")
                    }
                    let resolved = realPath(path)
                    guard !target.hasPrefix("/"), let resolved, resolved == root || resolved.hasPrefix(root + "/") else {
                        throw AirlockError.usage("\(shownPath) is a link to \(target), which points outside \(shown) (or nowhere); a folder is packed only with links that stay inside it")
                    }
                    members.append(.symlink(name: name + "/" + inner, target: target))
                default:
                    throw AirlockError.usage("\(shownPath) is neither a file, a folder nor a link; it cannot be packed")
                }
            }
        }
        try walk(folder, relative: "")
        return members
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// A repository component for a file name: lower case, runs of other characters as one `-`.
    static func repositoryName(_ name: String) -> String {
        var result = ""
        for character in name.lowercased() {
            if character.isASCII, character.isLetter || character.isNumber || character == "." || character == "_" {
                result.append(character)
            } else if !result.hasSuffix("-") {
                result.append("-")
            }
        }
        let trimmed = result.trimmingCharacters(in: CharacterSet(charactersIn: "-._"))
        return trimmed.isEmpty ? "file" : trimmed
    }

    /// A tag for the bundle version: characters a tag cannot hold become `_` (as Helm does with `+`).
    static func tagName(_ version: String) -> String {
        let mapped = String(version.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_") ? $0 : "_" }.prefix(128))
        return mapped.first == "." || mapped.first == "-" ? "_" + mapped.dropFirst() : mapped
    }
}
