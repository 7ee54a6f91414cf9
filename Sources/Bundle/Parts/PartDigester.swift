import Foundation
import OCI

/// Hashes one part as its bytes pass (written by pack and split, read by a sequential reader):
/// the part's `sha256` and `sample`, both over its bytes outside the signature slot.
final class PartDigester {
    /// Bundle offset where the part starts.
    let start: Int64
    private let hasher = DigestHasher(.sha256)
    private var head: [UInt8] = []
    private var tail: [UInt8] = []
    private(set) var size: Int64 = 0
    private var counted: Int64 = 0

    init(start: Int64) { self.start = start }

    /// The next bytes of the part, in order.
    func update(_ bytes: UnsafeRawBufferPointer) {
        let offset = start + size
        size += Int64(bytes.count)
        let skip = Int(max(0, min(Int64(bytes.count), PartsTable.slotEnd - offset)))
        let counted = UnsafeRawBufferPointer(rebasing: bytes[skip...])
        guard !counted.isEmpty else { return }
        self.counted += Int64(counted.count)
        hasher.update(counted)
        let toHead = min(counted.count, PartsTable.sampleSpan - head.count)
        head.append(contentsOf: counted.prefix(toHead))
        tail.append(contentsOf: counted.dropFirst(toHead))
        if tail.count > 16 * PartsTable.sampleSpan { tail.removeFirst(tail.count - PartsTable.sampleSpan) }
    }

    func finish() throws(BundleError) -> PartsTable.Part {
        let tailBytes = tail.suffix(PartsTable.sampleSpan)
        do {
            return PartsTable.Part(size: size, sha256: try hasher.finalize(), sample: try Digest.of(head + tailBytes))
        } catch {
            throw BundleError.library("cannot hash a bundle part: \(error)")
        }
    }
}
