import Airlock
import ArgumentParser
import OCI

struct TagsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tags",
        abstract: "Show which tags a pattern resolves to, newest first, with their digests.",
        discussion: """
            A pattern is REGISTRY/REPOSITORY:TAGS where TAGS is a comma-separated list of exact tags, \
            globs (8.12.*, 7.23.?) and digests; quote it for the shell. This is the dry run of what \
            `airlock pack` will take.

            Example: airlock tags '127.0.0.1:5000/acme/runtime:8.12.*, 7.23.6.*'
            """
    )

    @Argument(help: "REGISTRY/REPOSITORY[:PATTERN] (default pattern: every tag).")
    var patterns: [String]

    @Option(help: "Take at most this many tags per pattern, newest first.")
    var max: Int?

    @Flag(help: "Print JSON to stdout.")
    var json = false

    @Flag(help: "Fail (exit 7) when a term of a pattern matches no tag, instead of warning.")
    var strict = false

    @OptionGroup var registry: RegistryOptions
    @OptionGroup var output: OutputOptions

    /// One pattern of `tags --json` (format-spec/json/tags.schema.json).
    struct Result: Encodable {
        let pattern: String
        let images: [ImageReport]
        /// Terms that matched no tag (`REG/REPO:TERM`).
        let unmatched: [String]
    }

    func run() async throws {
        let parsed = try patterns.map { try ImagePattern(parsing: $0, max: max) }
        let hosts = Set(parsed.map(\.repository.registry))
        let results = try await registry.withTransport(hosts: hosts, logger: output.logger) { transport in
            let resolver = TagResolver(transport: transport)
            var results: [Result] = []
            for pattern in parsed {
                let resolution = try await resolver.resolve(pattern, strict: strict)
                if !output.quiet { resolution.unmatched.forEach(Output.warning(unmatched:)) }
                results.append(Result(pattern: pattern.description, images: resolution.tags.map(ImageReport.init), unmatched: resolution.unmatched))
            }
            return results
        }
        if json {
            try Output.json(results)
            return
        }
        var rows: [[String]] = []
        for result in results {
            for image in result.images {
                rows.append([image.name, image.digest.description, Self.kind(image.mediaType)])
            }
        }
        Output.table(rows).forEach(Output.line)
    }

    static func kind(_ mediaType: String) -> String {
        switch mediaType {
        case MediaType.ociIndex: "oci-index"
        case MediaType.ociManifest: "oci-manifest"
        case MediaType.dockerManifestList: "docker-list"
        case MediaType.dockerManifest: "docker-manifest"
        default: mediaType
        }
    }
}
