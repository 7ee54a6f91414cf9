import OCI

/// A bundle's name or version, from `--name`/`--version` or the spec. They end up in file
/// names, messages and registries' eyes, so nothing path-like or invisible gets through.
public enum BundleLabel {
    /// Letters, digits, '.', '_', '+', '-'; starting with a letter, digit or '_'; at most 128.
    public static func check(_ value: String, field: String) throws(AirlockError) {
        guard !value.isEmpty else { throw AirlockError.usage("the bundle \(field) must not be empty") }
        guard value.unicodeScalars.count <= 128 else {
            throw AirlockError.usage("the bundle \(field) is at most 128 characters; '\(value.prefix(20))…' has \(value.unicodeScalars.count)")
        }
        if let bad = value.unicodeScalars.first(where: { !isAllowed($0) }) {
            throw AirlockError.usage("the bundle \(field) '\(value)' has \(Reference.describe(bad)); use letters, digits, '.', '_', '+' and '-' only")
        }
        if let first = value.unicodeScalars.first, first == "." || first == "-" || first == "+" {
            throw AirlockError.usage("the bundle \(field) '\(value)' must start with a letter, digit or '_', not '\(first)'")
        }
    }

    static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "._+-".unicodeScalars.contains(scalar))
    }
}
