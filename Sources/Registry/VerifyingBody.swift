import NIOCore
import OCI

/// A request body that hashes what passes through and withholds the final chunk until the
/// digest and size check out; a mismatch fails the request instead of completing the upload.
struct VerifyingBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let base: AsyncThrowingStream<ByteBuffer, any Error>
    let expected: Descriptor

    func makeAsyncIterator() -> Iterator {
        Iterator(base: base.makeAsyncIterator(), expected: expected)
    }

    struct Iterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<ByteBuffer, any Error>.AsyncIterator
        let expected: Descriptor
        let hasher: DigestHasher
        var held: ByteBuffer?
        var count: Int64 = 0
        var finished = false

        init(base: AsyncThrowingStream<ByteBuffer, any Error>.AsyncIterator, expected: Descriptor) {
            self.base = base
            self.expected = expected
            self.hasher = DigestHasher(expected.digest.algorithm)
        }

        mutating func next() async throws -> ByteBuffer? {
            guard !finished else { return nil }
            while let chunk = try await base.next() {
                guard chunk.readableBytes > 0 else { continue }
                chunk.withUnsafeReadableBytes { hasher.update($0) }
                count += Int64(chunk.readableBytes)
                if count > expected.size {
                    throw RegistryError.sizeMismatch(what: "blob \(expected.digest)", expected: expected.size, actual: count)
                }
                if let previous = held {
                    held = chunk
                    return previous
                }
                held = chunk
            }
            finished = true
            guard count == expected.size else {
                throw RegistryError.sizeMismatch(what: "blob \(expected.digest)", expected: expected.size, actual: count)
            }
            let actual = try hasher.finalize()
            guard actual == expected.digest else {
                throw RegistryError.digestMismatch(what: "blob being uploaded", expected: expected.digest, actual: actual)
            }
            let last = held
            held = nil
            return last
        }
    }
}
