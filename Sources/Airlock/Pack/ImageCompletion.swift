import NIOConcurrencyHelpers
import OCI

/// Which images have all their blobs done, for one progress line per image.
final class ImageCompletion: Sendable {
    private let pending: NIOLockedValueBox<[(name: String, blobs: Set<Digest>)]>

    init(_ images: [(String, Set<Digest>)]) {
        pending = NIOLockedValueBox(images.map { (name: $0.0, blobs: $0.1) })
    }

    /// Marks a blob done; returns the images that it completed.
    func done(_ digest: Digest) -> [String] {
        pending.withLockedValue { pending in
            var completed: [String] = []
            for i in pending.indices where pending[i].blobs.remove(digest) != nil && pending[i].blobs.isEmpty {
                completed.append(pending[i].name)
            }
            return completed
        }
    }
}
