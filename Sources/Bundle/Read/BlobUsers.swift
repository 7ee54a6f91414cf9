import OCI

/// Which images of a bundle use a blob: what a message about a damaged blob names, so the reader
/// knows what is lost and what to copy again.
enum BlobUsers {
    /// The `refName` of every image (and every image whose evidence) reaches `digest`, through the
    /// manifest documents known so far; sorted. An image whose documents are not known yet is left
    /// out, so the answer may be short, never wrong.
    static func images(using digest: Digest, in manifest: BundleManifest, documents: [Digest: ManifestDocument]) -> [String] {
        var roots: [(image: String, digest: Digest)] = manifest.images.map { ($0.refName, $0.digest) }
        roots += (manifest.evidence ?? []).map { ($0.image, $0.manifest.digest) }
        var users = Set<String>()
        for root in roots where !users.contains(root.image) {
            var pending = [root.digest], seen = Set<Digest>()
            while let next = pending.popLast() {
                if next == digest { users.insert(root.image); break }
                guard seen.insert(next).inserted, let document = documents[next] else { continue }
                pending += document.references.map(\.digest)
            }
        }
        return users.sorted()
    }

    /// "blob sha256:… (used by a:1, b:2)", or "blob sha256:…" when no known image reaches it.
    static func describe(_ digest: Digest, in manifest: BundleManifest, documents: [Digest: ManifestDocument]) -> String {
        let users = images(using: digest, in: manifest, documents: documents)
        return users.isEmpty ? "blob \(digest)" : "blob \(digest) (used by \(users.joined(separator: ", ")))"
    }

    /// Every manifest document of a bundle file that still reads and proves by digest (a damaged one
    /// is left out): what `describe` needs when a reader met the damage before the manifests.
    static func documents(of file: BundleFile) -> [Digest: ManifestDocument] {
        var documents: [Digest: ManifestDocument] = [:]
        for blob in file.manifest.blobs where MediaType.isManifest(blob.mediaType) && blob.size <= Int64(ManifestDocument.maximumSize) && file.contains(blob.digest) {
            guard let bytes = try? file.read(blob, namingUsers: false), let document = try? ManifestDocument(bytes: bytes, declaredType: blob.mediaType) else { continue }
            documents[blob.digest] = document
        }
        return documents
    }
}
