import Foundation

/// The one place that decides the bytes of JSON airlock signs, addresses by digest or stores in a
/// bundle: keys sorted (so equal values encode to equal bytes) and `/` left unescaped, as the
/// format spec fixes (format-spec/bundle-format.md). Every such document is encoded here.
public enum CanonicalJSON {
    /// Compact: index.json, filtered indexes, the signature slot, ledger records and artifacts.
    public static func compact<T: Encodable>(_ value: T) throws -> [UInt8] {
        try encode(value, [.sortedKeys, .withoutEscapingSlashes])
    }

    /// Two-space indent and a final LF: the bundle manifest and the parts table, which people read.
    public static func pretty<T: Encodable>(_ value: T) throws -> [UInt8] {
        try encode(value, [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]) + [0x0A]
    }

    /// Compact with `/` escaped as `\/`: the seek table's bytes since its first version
    /// (format-spec §3.5), kept so committed bundles reproduce byte for byte.
    public static func compactEscapingSlashes<T: Encodable>(_ value: T) throws -> [UInt8] {
        try encode(value, [.sortedKeys])
    }

    private static func encode<T: Encodable>(_ value: T, _ formatting: JSONEncoder.OutputFormatting) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = formatting
        return Array(try encoder.encode(value))
    }
}
