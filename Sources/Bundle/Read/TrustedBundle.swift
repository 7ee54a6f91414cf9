import OCI

/// The one way a command opens a bundle file whose content it acts on (push, serve, extract, a
/// delta's base): every required key signed the manifest, and the file's structure matches it,
/// before a single blob is read. Each blob's frames are then checked as they are read. A bundle
/// read in one pass (verify, unpack, `push -`, join) goes through `BundleVerifier`, which makes
/// the same signature check first.
public struct TrustedBundle: Sendable {
    public let file: BundleFile
    public let signatures: SignatureReport
    public let policy: PolicyReport?

    public var header: BundleHeader { file.header }
    public var manifest: BundleManifest { file.header.manifest }

    /// Opens `path` (a bundle or its first part) for random access.
    public static func open(_ path: String, trust: Trust) throws -> TrustedBundle {
        let file = try BundleFile(path: path)
        let (signatures, policy, _) = try trust.check(file.header.slot, manifestBytes: file.header.manifestBytes, name: path)
        _ = try file.checkStructure()
        return TrustedBundle(file: file, signatures: signatures, policy: policy)
    }

    public static func open(_ path: String, keys: [PublicKey]) throws -> TrustedBundle {
        try open(path, trust: Trust(keys: keys))
    }

    /// Only the signed front of `path`: the manifest, once `trust` holds for it.
    public static func header(_ path: String, trust: Trust) throws -> BundleHeader {
        let header = try BundleHeader.read(path: path)
        _ = try trust.check(header.slot, manifestBytes: header.manifestBytes, name: path)
        return header
    }
}
