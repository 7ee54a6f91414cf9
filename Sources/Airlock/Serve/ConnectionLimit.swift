import NIOConcurrencyHelpers
import NIOCore

/// At most `limit` connections open at once. One beyond it is closed as soon as it is accepted,
/// before anything of it is read: a flood of connections costs the server a few KiB each for a
/// moment, never the memory of thousands held open.
final class ConnectionLimit: Sendable {
    private let limit: Int
    private let open = NIOLockedValueBox(0)

    init(_ limit: Int) {
        self.limit = limit
    }

    /// Counts `channel` in until it closes; false (and the channel closed) when the limit is reached.
    func admit(_ channel: any Channel) -> Bool {
        let admitted = open.withLockedValue { open -> Bool in
            guard open < limit else { return false }
            open += 1
            return true
        }
        guard admitted else {
            channel.close(promise: nil)
            return false
        }
        channel.closeFuture.whenComplete { [open] _ in open.withLockedValue { $0 -= 1 } }
        return true
    }
}
