import Bundle
import Foundation
import NIOConcurrencyHelpers
import OCI

/// What a long operation has done so far. Operations feed it from any thread or task; the CLI's
/// display samples it. It knows nothing about terminals: `TransferProgress()` is a silent sink.
public final class TransferProgress: Sendable {
    public struct Snapshot: Sendable, Equatable {
        /// What the operation is doing now ("fetch", "verify", "push" …).
        public var phase = ""
        public var bytesDone: Int64 = 0
        public var bytesTotal: Int64 = 0
        /// The blob or image in flight, for the status line.
        public var current: String?
    }

    /// A milestone worth one line in a CI log: an image done, a tenth of the bytes checked.
    public typealias MilestoneHandler = @Sendable (String) -> Void

    private struct State {
        var snapshot = Snapshot()
        var deciles = false
        var lastDecile = 0
        var itemsDone = 0
        var itemsTotal = 0
    }

    // A pthread lock (not Synchronization.Mutex, whose futexes ThreadSanitizer cannot see).
    private let state = NIOLockedValueBox(State())
    private let onMilestone: MilestoneHandler?

    public init(onMilestone: MilestoneHandler? = nil) {
        self.onMilestone = onMilestone
    }

    /// Starts a phase of `totalBytes`. With `deciles`, every tenth of the bytes is a milestone
    /// (for operations whose natural unit is a byte stream, not an image).
    /// `items` is how many images the phase will finish (numbered in their milestones).
    public func begin(_ phase: String, totalBytes: Int64, items: Int = 0, deciles: Bool = false) {
        state.withLockedValue {
            $0 = State(snapshot: Snapshot(phase: phase, bytesDone: 0, bytesTotal: max(totalBytes, 0), current: nil),
                       deciles: deciles, itemsTotal: items)
        }
    }

    /// Counts bytes done. A retried upload may count bytes twice; the total caps what is shown.
    public func add(_ bytes: Int64) {
        let crossed: Int? = state.withLockedValue {
            let done = $0.snapshot.bytesDone + bytes
            $0.snapshot.bytesDone = $0.snapshot.bytesTotal > 0 ? min(done, $0.snapshot.bytesTotal) : done
            guard $0.deciles, $0.snapshot.bytesTotal > 0 else { return nil }
            let decile = Int(min($0.snapshot.bytesDone * 10 / $0.snapshot.bytesTotal, 10))
            guard decile > $0.lastDecile else { return nil }
            $0.lastDecile = decile
            return decile
        }
        if let crossed, let onMilestone {
            let snapshot = self.snapshot
            onMilestone("\(snapshot.phase) \(crossed * 10)% (\(ByteCount.format(min(snapshot.bytesDone, snapshot.bytesTotal))) of \(ByteCount.format(snapshot.bytesTotal)))")
        }
    }

    /// Names what is in flight now.
    public func working(on item: String) {
        state.withLockedValue { $0.snapshot.current = item }
    }

    /// Reports a milestone (one line in plain mode).
    public func milestone(_ text: String) {
        onMilestone?(text)
    }

    /// Reports one of the phase's items finished, as "[3/12] text".
    public func itemDone(_ text: String) {
        let (done, total) = state.withLockedValue {
            $0.itemsDone += 1
            return ($0.itemsDone, $0.itemsTotal)
        }
        onMilestone?(total > 0 ? "[\(done)/\(total)] \(text)" : text)
    }

    public var snapshot: Snapshot {
        state.withLockedValue { $0.snapshot }
    }
}
