import OCI

/// Every blob a bundle's signed manifest lists, stored or (a delta's) external, with its size:
/// the one place a reference (an image manifest's layer, an index's child, `index.json`'s entry,
/// the manifest's own image list) is held to what the bundle says the blob is. verify, unpack,
/// push and serve all ask it, so a size lie gets the same verdict everywhere.
public struct BlobCatalog: Sendable {
    let sizes: [Digest: Int64]
    let external: Set<Digest>

    public init(_ manifest: BundleManifest) {
        var sizes: [Digest: Int64] = [:]
        for blob in manifest.blobs + (manifest.base?.externalBlobs ?? []) where sizes[blob.digest] == nil { sizes[blob.digest] = blob.size }
        self.sizes = sizes
        self.external = Set((manifest.base?.externalBlobs ?? []).map(\.digest))
    }

    public func contains(_ digest: Digest) -> Bool { sizes[digest] != nil }
    public func isExternal(_ digest: Digest) -> Bool { external.contains(digest) }

    /// Throws unless the bundle lists `descriptor`'s blob with exactly its size.
    public func check(_ descriptor: Descriptor, in image: String) throws(BundleError) {
        guard let size = sizes[descriptor.digest] else {
            throw BundleError.verification("image \(image) references blob \(descriptor.digest), which the bundle does not hold")
        }
        guard size == descriptor.size else {
            throw BundleError.verification("image \(image) gives blob \(descriptor.digest) the size \(descriptor.size), but the bundle's signed manifest lists it with \(size) bytes")
        }
    }
}
