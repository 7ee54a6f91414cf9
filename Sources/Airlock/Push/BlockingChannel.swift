import Bundle
import Foundation
import NIOCore
import OCI
import Registry

/// A bounded hand-over from a blocking producer thread to an async consumer.
final class BlockingChannel<Element: Sendable>: @unchecked Sendable {
    // All state is guarded by `condition`.
    private let condition = NSCondition()
    private var buffer: [Element] = []
    private let capacity: Int
    private var finished = false
    private var failure: (any Error)?
    private var cancelled = false
    private var waiter: CheckedContinuation<Element?, any Error>?

    init(capacity: Int) { self.capacity = capacity }

    /// Blocks while the buffer is full; throws once the consumer has gone.
    func send(_ element: Element) throws {
        condition.lock()
        while buffer.count >= capacity, !cancelled { condition.wait() }
        if cancelled {
            condition.unlock()
            throw CancellationError()
        }
        if let waiter {
            self.waiter = nil
            condition.unlock()
            waiter.resume(returning: element)
            return
        }
        buffer.append(element)
        condition.unlock()
    }

    /// Ends the stream, with an error if the producer failed.
    func finish(_ error: (any Error)?) {
        condition.lock()
        finished = true
        failure = error
        let waiter = self.waiter
        self.waiter = nil
        condition.unlock()
        if let waiter {
            if let error { waiter.resume(throwing: error) } else { waiter.resume(returning: nil) }
        }
    }

    /// Unblocks and stops the producer (the consumer is done or failed).
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    func next() async throws -> Element? {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            if !buffer.isEmpty {
                let element = buffer.removeFirst()
                condition.signal()
                condition.unlock()
                continuation.resume(returning: element)
            } else if finished {
                let failure = self.failure
                condition.unlock()
                if let failure { continuation.resume(throwing: failure) } else { continuation.resume(returning: nil) }
            } else {
                waiter = continuation
                condition.unlock()
            }
        }
    }
}
