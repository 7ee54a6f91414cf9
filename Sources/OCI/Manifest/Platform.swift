/// The platform an image runs on.
/// Mirrors https://github.com/opencontainers/image-spec/blob/main/image-index.md (platform object)
public struct Platform: Codable, Sendable, Hashable, CustomStringConvertible {
    public let architecture: String
    public let os: String
    public let osVersion: String?
    public let osFeatures: [String]?
    public let variant: String?
    public let features: [String]?

    enum CodingKeys: String, CodingKey {
        case architecture
        case os
        case osVersion = "os.version"
        case osFeatures = "os.features"
        case variant
        case features
    }

    public init(os: String, architecture: String, variant: String? = nil, osVersion: String? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
        self.osVersion = osVersion
        self.osFeatures = nil
        self.features = nil
    }

    /// Parses `os/arch[/variant]`, e.g. `linux/arm64/v8`.
    public init(parsing text: String) throws(OCIError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && !$0.contains(" ") }) else {
            throw OCIError.invalidPlatform(text)
        }
        self.init(os: parts[0].lowercased(), architecture: parts[1].lowercased(), variant: parts.count == 3 ? parts[2].lowercased() : nil)
    }

    public var description: String {
        [os, architecture, variant].compactMap { $0 }.joined(separator: "/")
    }

    /// The variant with the defaults containerd assumes filled in (arm64 → v8, arm → v7).
    public var normalizedVariant: String? {
        switch (architecture, variant) {
        case ("arm64", nil): "v8"
        case ("arm", nil): "v7"
        default: variant
        }
    }

    /// Whether an image built for `self` satisfies a request for `wanted`.
    /// os and architecture must be equal; a variant is compared only when `wanted` names one.
    public func matches(_ wanted: Platform) -> Bool {
        guard os == wanted.os, architecture == wanted.architecture else { return false }
        guard wanted.variant != nil else { return true }
        return normalizedVariant == wanted.normalizedVariant
    }
}
