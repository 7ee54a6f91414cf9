import OCI

/// The one way a command opens a bundle file whose content it acts on (push, serve, extract, a
/// delta's base): every required key signed the manifest, and the file's structure matches it,
/// before a single blob is read. Each blob's frames are then checked as they are read. A bundle
/// read in one pass (verify, unpack, `push -`, join) goes through `BundleVerifier`, which makes
/// the same signature check first.
public struct TrustedBundle: Sendable {
    public let file: BundleFile
    public let signatures: SignatureReport

    public var header: BundleHeader { file.header }
    public var manifest: BundleManifest { file.header.manifest }

    /// Opens `path` (a bundle or its first part) for random access.
    public static func open(_ path: String, keys: [PublicKey]) throws -> TrustedBundle {
        let file = try BundleFile(path: path)
        let signatures = try check(file.header, name: path, keys: keys)
        _ = try file.checkStructure()
        return TrustedBundle(file: file, signatures: signatures)
    }

    /// Only the signed front of `path`: the manifest, once every required key is found to have signed it.
    public static func header(_ path: String, keys: [PublicKey]) throws -> BundleHeader {
        let header = try BundleHeader.read(path: path)
        _ = try check(header, name: path, keys: keys)
        return header
    }

    static func check(_ header: BundleHeader, name: String, keys: [PublicKey]) throws -> SignatureReport {
        let signatures = SignatureReport.check(header.slot, manifest: header.manifestBytes, required: keys)
        try signatures.requireTrusted(name: name)
        return signatures
    }
}
