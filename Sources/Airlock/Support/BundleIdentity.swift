import Bundle

/// A bundle as every `--json` document names one (format-spec/json/common.schema.json
/// `bundleSide`): its name, version and the digest of its signed manifest — the shape a delta's
/// chain already records (`BundleManifest.Base.Link`), so there is one.
public typealias BundleIdentity = BundleManifest.Base.Link

extension BundleIdentity {
    /// `NAME VERSION`, as text output names a bundle.
    public var title: String { "\(name) \(version)" }
}
