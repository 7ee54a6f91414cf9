import Bundle
import Foundation
import OCI

/// How a cluster's nodes find the mirrored images under their upstream names (`--mirror-config
/// DIR`, format-spec §12.6): containerd hosts.toml, containers-registries.conf(5) v2 for CRI-O and
/// podman, OpenShift's ImageDigestMirrorSet/ImageTagMirrorSet, EKS Anywhere's
/// registryMirrorConfiguration, and the kustomize images list.
public struct MirrorConfig: Sendable {
    /// The first line of every file written here except the kustomization (which must stay a pure
    /// `images:` list): how a re-run knows the file is its own.
    public static let marker = "# Written by airlock"

    /// One mirrored image: where it came from and where it is now.
    public struct Image: Sendable, Hashable {
        /// The source reference (`HOST/PATH:TAG` or `HOST/PATH@DIGEST`).
        public let source: String
        /// The repository in the mirror registry.
        public let repository: String
        /// `HOST/REPO:TAG` (or `@DIGEST`) as the cluster pulls it.
        public let pull: String
        public let digest: Digest
        /// False for a chart or a file: its upstream is mirrored like any other, but a kustomize
        /// `images:` list names container images only.
        public let isContainer: Bool

        public init(source: String, repository: String, pull: String, digest: Digest, isContainer: Bool = true) {
            self.source = source
            self.repository = repository
            self.pull = pull
            self.digest = digest
            self.isContainer = isContainer
        }
    }

    /// The images a push wrote (`registry` is --to's host).
    public static func images(pushed result: PushResult, registry: String) -> [Image] {
        result.images.filter { $0.error == nil }.map { image in
            Image(source: image.source, repository: String(repositoryName(image.targetByDigest).dropFirst(registry.count + 1)),
                  pull: image.pull, digest: image.digest, isContainer: image.kind == nil)
        }
    }

    /// Every image a ledger records, once; charts and files marked from the signed manifests.
    public static func images(recorded ledger: Ledger) -> [Image] {
        var seen: Set<Image> = []
        return ledger.entries.flatMap { entry in
            let artifacts = Set(entry.manifest.images.filter { !$0.isContainer }.map(\.refName))
            return entry.record.images.map { image in
                Image(source: image.source, repository: image.repository,
                      pull: Reference.spelled("\(ledger.location.registry)/\(image.repository)", tagOr: image.digest, tag: image.tag),
                      digest: image.digest, isContainer: !artifacts.contains(image.name))
            }
        }.filter { seen.insert($0).inserted }
    }

    /// `HOST[:PORT]` the cluster pulls from (push's --pull-host, else the target registry).
    public let mirror: String
    /// `http` or `https`.
    public let scheme: String
    /// CA files that sign the mirror's certificate (--ca-file), absolute paths.
    public let caFiles: [String]
    public let images: [Image]
    /// What the files are named after (the bundle, or the ledger's target).
    public let title: String

    public init(mirror: String, scheme: String, caFiles: [String], images: [Image], title: String) {
        self.mirror = mirror
        self.scheme = scheme
        self.caFiles = caFiles.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        self.images = images
        self.title = title
    }

    /// A source repository and the mirror repository that holds it.
    struct Mapping: Hashable, Comparable {
        let upstreamHost: String
        let source: String
        let target: String
        /// The namespace the mirror puts this repository under (nil: the root), when the target is
        /// the source path under a namespace; `.none` when it is renamed (--strip-components, --name-template).
        let namespace: String??

        static func < (a: Mapping, b: Mapping) -> Bool { (a.source, a.target) < (b.source, b.target) }
    }

    /// Charts and files packed from local paths (`charts/NAME`, `files/NAME`) have no upstream to
    /// mirror: only sources whose first component is a registry host (Docker's rule: a dot, a
    /// port or `localhost`) are mapped.
    static func hasUpstream(_ source: String) -> Bool {
        guard source.contains("/") else { return false }
        return Reference.isRegistryHost(Reference.splitRegistry(source).registry)
    }

    var mappings: [Mapping] {
        Set(images.filter { Self.hasUpstream($0.source) }.map { image -> Mapping in
            let name = Self.repositoryName(image.source)
            let (first, rest) = Reference.splitRegistry(name)
            let host = Self.upstreamHost(String(first))
            let path = rest.map(String.init) ?? name
            let namespace: String?? = image.repository == path ? .some(nil)
                : image.repository.hasSuffix("/" + path) ? .some(String(image.repository.dropLast(path.count + 1))) : .none
            return Mapping(upstreamHost: host, source: "\(host)/\(path)", target: "\(mirror)/\(image.repository)", namespace: namespace)
        }).sorted()
    }

    /// Upstream hosts whose every repository sits under one namespace of the mirror (what hosts.toml
    /// and EKS Anywhere can express), with that namespace.
    var hostNamespaces: [(host: String, namespace: String?)] {
        Dictionary(grouping: mappings, by: \.upstreamHost).compactMap { host, mappings -> (host: String, namespace: String?)? in
            let namespaces = Set(mappings.map(\.namespace))
            guard namespaces.count == 1, let only = namespaces.first, let namespace = only else { return nil }
            return (host, namespace)
        }.sorted { $0.host < $1.host }
    }

    /// Upstream hosts that only per-repository files can map (renamed repositories).
    public var hostsWithoutPrefixMapping: [String] {
        let mapped = Set(hostNamespaces.map(\.host))
        return Array(Set(mappings.map(\.upstreamHost)).subtracting(mapped)).sorted()
    }

    /// Every file, by path relative to DIR.
    public func files(caContents: [String]) -> [(path: String, contents: String)] {
        var files: [(path: String, contents: String)] = []
        for (host, namespace) in hostNamespaces {
            files.append(("containerd/certs.d/\(host)/hosts.toml", hostsToml(upstream: host, namespace: namespace)))
        }
        files.append(("registries.conf", registriesConf))
        files.append(("imagedigestmirrorset.yaml", mirrorSet(kind: "ImageDigestMirrorSet", list: "imageDigestMirrors")))
        files.append(("imagetagmirrorset.yaml", mirrorSet(kind: "ImageTagMirrorSet", list: "imageTagMirrors")))
        if !hostNamespaces.isEmpty { files.append(("eks-anywhere-registry-mirror.yaml", eksAnywhere(caContents: caContents))) }
        files.append(("kustomization.yaml", Self.kustomization(images)))
        return files
    }

    /// containerd hosts.toml (docs/hosts.md): the mirror as a host that may pull and resolve, tried
    /// before `server`; a namespace becomes the API root path (`/v2/NS`, `override_path`).
    func hostsToml(upstream: String, namespace: String?) -> String {
        let server = upstream == "docker.io" ? "https://registry-1.docker.io" : "https://\(upstream)"
        let host = namespace.map { "\(scheme)://\(mirror)/v2/\($0)" } ?? "\(scheme)://\(mirror)"
        var lines = [
            "\(Self.marker) for \(title): pull \(upstream)'s images from the mirror \(mirror).",
            "server = \(Self.quoted(server))",
            "",
            "[host.\(Self.quoted(host))]",
            "  capabilities = [\"pull\", \"resolve\"]",
        ]
        if namespace != nil { lines.append("  override_path = true") }
        if !caFiles.isEmpty { lines.append("  ca = [\(caFiles.map(Self.quoted).joined(separator: ", "))]") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// containers-registries.conf(5) version 2: one [[registry]] per source repository, with the
    /// mirror repository as its [[registry.mirror]] (tried first, for tags and digests alike:
    /// `pull-from-mirror = "all"`, the default, written out).
    var registriesConf: String {
        var lines = ["\(Self.marker) for \(title): containers-registries.conf(5) version 2 (CRI-O, podman, skopeo)."]
        for mapping in mappings {
            lines += ["", "[[registry]]", "prefix = \(Self.quoted(mapping.source))", "location = \(Self.quoted(mapping.source))",
                      "", "[[registry.mirror]]", "location = \(Self.quoted(mapping.target))", "pull-from-mirror = \"all\""]
            if scheme == "http" { lines.append("insecure = true") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// OpenShift config.openshift.io/v1 ImageDigestMirrorSet / ImageTagMirrorSet.
    func mirrorSet(kind: String, list: String) -> String {
        var lines = [
            "\(Self.marker) for \(title): OpenShift \(kind).",
            "apiVersion: config.openshift.io/v1",
            "kind: \(kind)",
            "metadata:",
            "  name: \(Self.quoted(objectName))",
            "spec:",
            "  \(list):",
        ]
        for mapping in mappings {
            lines += ["  - source: \(Self.quoted(mapping.source))", "    mirrors:", "    - \(Self.quoted(mapping.target))"]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// EKS Anywhere's Cluster `spec.registryMirrorConfiguration`: the mirror's endpoint and port,
    /// and each upstream registry's namespace (`ociNamespaces`).
    func eksAnywhere(caContents: [String]) -> String {
        let (endpoint, port) = Self.splitPort(mirror, scheme: scheme)
        var lines = [
            "\(Self.marker) for \(title): EKS Anywhere Cluster spec.registryMirrorConfiguration (EKS Anywhere pulls over HTTPS).",
            "registryMirrorConfiguration:",
            "  endpoint: \(Self.quoted(endpoint))",
            "  port: \(Self.quoted(port))",
            "  ociNamespaces:",
        ]
        for (host, namespace) in hostNamespaces {
            lines += ["  - registry: \(Self.quoted(host))", "    namespace: \(Self.quoted(namespace ?? ""))"]
        }
        if !caContents.isEmpty {
            lines.append("  caCertContent: |")
            for line in caContents.joined(separator: "\n").split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
                lines.append("    \(line)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// kustomize `images:` entries: one per source name (kustomize matches by name), pointing at
    /// the pull name; pinned by digest when only one image has that name. Container images only:
    /// charts and files are not what a manifest's `image:` names.
    public static func kustomization(_ images: [Image]) -> String {
        var lines = ["images:"]
        let groups = Dictionary(grouping: images.filter(\.isContainer)) { repositoryName($0.source) }
        for name in groups.keys.sorted() {
            guard let group = groups[name], let first = group.first else { continue }
            lines.append("- name: \(name)")
            lines.append("  newName: \(repositoryName(first.pull))")
            if group.count == 1 { lines.append("  digest: \(first.digest)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A Kubernetes object name (RFC 1123 subdomain) for the mirror sets.
    var objectName: String {
        let raw = "airlock-\(title)".lowercased().unicodeScalars.map { scalar -> Character in
            let c = Character(scalar)
            return (c.isASCII && (c.isLetter || c.isNumber)) || c == "." ? c : "-"
        }
        var name = String(raw.prefix(253))
        while let last = name.last, !(last.isLetter || last.isNumber) { name.removeLast() }
        return name
    }

    /// A reference without its tag or digest.
    public static func repositoryName(_ reference: String) -> String {
        let (untagged, digest) = Reference.splitDigest(reference)
        return String(digest == nil ? Reference.splitTag(reference).name : untagged)
    }

    /// Docker Hub's API host is configured as `docker.io`, as containerd and containers-registries.conf name it.
    static func upstreamHost(_ host: String) -> String {
        host == Reference.dockerHub || host == "registry-1.docker.io" ? "docker.io" : host
    }

    static func splitPort(_ host: String, scheme: String) -> (String, String) {
        let (endpoint, port) = Reference.splitPort(host)
        return (String(endpoint), port.map(String.init) ?? (scheme == "http" ? "80" : "443"))
    }

    /// A TOML basic string, which is also a YAML double-quoted scalar.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value == 0x7f: result += String(format: "\\u%04X", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

extension MirrorConfig {
    /// The files a mirror configuration may write, by path relative to DIR (hosts.toml per host aside).
    static let fixedFiles = ["registries.conf", "imagedigestmirrorset.yaml", "imagetagmirrorset.yaml", "eks-anywhere-registry-mirror.yaml", "kustomization.yaml"]

    /// Checks `directory` before any work: it is a folder (or can be made), and every file there
    /// a mirror configuration would replace is airlock's own (or `force`).
    public static func check(_ directory: String, force: Bool, option: String = "--mirror-config") throws {
        try OutputPath.check(directory, kind: .directory, option: option)
        let certs = (directory as NSString).appendingPathComponent("containerd/certs.d")
        let hosts = ((try? FileManager.default.contentsOfDirectory(atPath: certs)) ?? []).map { "containerd/certs.d/\($0)/hosts.toml" }
        for name in fixedFiles + hosts {
            let path = (directory as NSString).appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: path) { try OutputPath.check(path, kind: .mirrorConfig, force: force, option: option) }
        }
    }

    /// Writes every file under `directory` (made if missing). Each file is checked first: one that
    /// is not airlock's own is replaced only with `force`. Returns the paths written.
    @discardableResult
    public func write(to directory: String, force: Bool, option: String = "--mirror-config") throws -> [String] {
        try OutputPath.check(directory, kind: .directory, option: option)
        var caContents: [String] = []
        for file in caFiles {
            do {
                caContents.append(try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
            } catch {
                throw AirlockError.io("cannot read the CA file \(file) for \(option)")
            }
        }
        let files = self.files(caContents: caContents).map { (path: (directory as NSString).appendingPathComponent($0.path), contents: $0.contents) }
        do {
            for file in files {
                try FileManager.default.createDirectory(atPath: parentFolder(of: file.path), withIntermediateDirectories: true)
            }
        } catch {
            throw AirlockError.io("cannot create the folders of \(option) \(directory): \(error.localizedDescription)")
        }
        for file in files { try OutputPath.check(file.path, kind: .mirrorConfig, force: force, option: option) }
        for file in files {
            do {
                try file.contents.write(toFile: file.path, atomically: true, encoding: .utf8)
            } catch {
                throw AirlockError.io("cannot write \(file.path)")
            }
        }
        return files.map(\.path)
    }
}
