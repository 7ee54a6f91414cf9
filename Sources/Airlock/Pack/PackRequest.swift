import Bundle
import OCI

/// What to pack.
public struct PackRequest: Sendable {
    public var name: String
    public var version: String
    public var spec: String?
    public var patterns: [ImagePattern]
    public var platforms: [Platform]?
    public var output: String
    public var signers: [PrivateKey]
    public var concurrency: Int
    /// Make a delta: leave out every blob this earlier bundle already holds.
    public var base: BundleHeader?
    /// Where bytes fetched and images finished are reported.
    public var progress = TransferProgress()
    /// A pattern term that matches no tag is an error instead of a warning.
    public var strict = false
    /// Told each pattern term that matches no tag, as soon as it is known (before any fetch).
    public var warnUnmatched: @Sendable (String) -> Void = { _ in }
    /// Signatures, SBOMs and attestations to bring along (`--no-referrers`, `--referrers-type`).
    public var evidence = EvidenceOptions()
    /// `--cosign-key`: every image must carry a cosign signature by one of these.
    public var cosignKeys: [PublicKey] = []
    /// OCI chart repositories and the versions to take (`charts:` with `ref`, `--chart REF:PATTERN`).
    public var charts: [ImagePattern] = []
    /// Local chart archives (`charts:` with `path`, `--chart PATH`).
    public var localCharts: [LocalPath] = []
    /// Files and folders (`files:`, `--file`).
    public var files: [LocalPath] = []
    /// Told each image a local chart's values name that the bundle lacks.
    public var warnChartImage: @Sendable (String) -> Void = { _ in }
    /// `--split-size`: write the bundle as parts of at most this many bytes (format-spec §13).
    public var partSize: Int64?

    public init(name: String, version: String, spec: String?, patterns: [ImagePattern], platforms: [Platform]?, output: String, signers: [PrivateKey], concurrency: Int = 4) {
        self.name = name
        self.version = version
        self.spec = spec
        self.patterns = patterns
        self.platforms = platforms
        self.output = output
        self.signers = signers
        self.concurrency = concurrency
        self.base = nil
    }
}
