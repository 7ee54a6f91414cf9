import Bundle
import Foundation
import OCI

/// Where a registry's ledger lives and how a bundle's record is named there (format-spec §12.1).
public struct LedgerLocation: Sendable, Hashable {
    public static let repositoryName = "airlock-ledger"
    public let registry: String
    public let namespace: String?

    public init(registry: String, namespace: String?) {
        self.registry = registry
        self.namespace = namespace
    }

    /// `NAMESPACE/airlock-ledger`, or `airlock-ledger` at the registry's root.
    public var repository: String { namespace.map { "\($0)/\(Self.repositoryName)" } ?? Self.repositoryName }

    /// `REG[/NAMESPACE]`.
    public var target: String { namespace.map { "\(registry)/\($0)" } ?? registry }

    /// The tag of a bundle's record: `NAME-VERSION` when that is already a valid tag and no other
    /// bundle's record holds it; otherwise the sanitized form (every character outside
    /// `[A-Za-z0-9_.-]` → `_`, a leading `.` or `-` prefixed with `_`) cut to 115 characters, a
    /// `-`, and the first 12 hex digits of SHA-256(NAME LF VERSION). Readers never trust the tag:
    /// the record names its bundle.
    public static func tag(name: String, version: String, occupant: (String) -> (name: String, version: String)? = { _ in nil }) throws -> String {
        let plain = "\(name)-\(version)"
        var sanitized = String(String.UnicodeScalarView(plain.unicodeScalars.map { scalar in
            scalar.isASCII && VersionPattern.isTagByte(UInt8(scalar.value)) ? scalar : "_"
        }))
        if sanitized.hasPrefix(".") || sanitized.hasPrefix("-") { sanitized = "_" + sanitized }
        let taken = occupant(sanitized).map { $0.name != name || $0.version != version } ?? false
        guard sanitized != plain || sanitized.count > 128 || taken else { return sanitized }
        let hash = try Digest.of(Array("\(name)\n\(version)".utf8)).hex.prefix(12)
        return String(sanitized.prefix(115)) + "-" + hash
    }
}
