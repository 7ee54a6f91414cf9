import Bundle
import Foundation
import NIOConcurrencyHelpers
import OCI

/// What a long operation has done so far. Operations feed it from any thread or task; the CLI's
/// display samples it. It knows nothing about terminals: `TransferProgress()` is a silent sink.
///
/// With a milestone handler (plain mode, for logs), a phase with a byte total prints a line at every
/// tenth of its bytes, and `heartbeat` prints one when a phase has been quiet for a while, so a CI log
/// shows bytes, rate and ETA at least every 10 s or 10% (README, "Progress").
public final class TransferProgress: Sendable {
    public struct Snapshot: Sendable, Equatable {
        /// What the operation is doing now ("fetch", "verify", "push" …).
        public var phase = ""
        public var bytesDone: Int64 = 0
        public var bytesTotal: Int64 = 0
        /// The blob or image in flight, for the status line.
        public var current: String?
    }

    /// A line worth printing in a CI log: an image done, a tenth of the bytes, a heartbeat.
    public typealias MilestoneHandler = @Sendable (String) -> Void
    public typealias Clock = @Sendable () -> Date

    private struct State {
        var snapshot = Snapshot()
        var started = Date.distantPast
        var lastDecile = 0
        /// When the last progress line (decile or heartbeat) was printed.
        var lastLine = Date.distantPast
        var meter = RateMeter()
        var itemsDone = 0
        var itemsTotal = 0
    }

    // A pthread lock (not Synchronization.Mutex, whose futexes ThreadSanitizer cannot see).
    private let state = NIOLockedValueBox(State())
    private let onMilestone: MilestoneHandler?
    private let now: Clock

    public init(onMilestone: MilestoneHandler? = nil, clock: @escaping Clock = { Date() }) {
        self.onMilestone = onMilestone
        self.now = clock
    }

    /// Starts a phase of `totalBytes` (0 when unknown); `items` is how many images the phase will
    /// finish (numbered in their milestones).
    public func begin(_ phase: String, totalBytes: Int64, items: Int = 0) {
        let now = now()
        state.withLockedValue {
            $0 = State(snapshot: Snapshot(phase: phase, bytesDone: 0, bytesTotal: max(totalBytes, 0), current: nil),
                       started: now, lastLine: now, itemsTotal: items)
        }
    }

    /// Counts bytes done. A retried upload may count bytes twice; the total caps what is shown.
    public func add(_ bytes: Int64) {
        let line: String? = state.withLockedValue {
            let done = $0.snapshot.bytesDone + bytes
            $0.snapshot.bytesDone = $0.snapshot.bytesTotal > 0 ? min(done, $0.snapshot.bytesTotal) : done
            guard onMilestone != nil, $0.snapshot.bytesTotal > 0 else { return nil }
            let decile = Int(min($0.snapshot.bytesDone * 10 / $0.snapshot.bytesTotal, 10))
            guard decile > $0.lastDecile else { return nil }
            $0.lastDecile = decile
            return Self.line(&$0, at: now(), windowed: false)
        }
        if let line { onMilestone?(line) }
    }

    /// Prints a progress line when the phase has printed none for `interval` (plain mode's display
    /// calls this a few times a second). Returns the line, for tests.
    @discardableResult
    public func heartbeat(every interval: TimeInterval = 10) -> String? {
        let now = now()
        let line: String? = state.withLockedValue {
            guard !$0.snapshot.phase.isEmpty else { return nil }
            _ = $0.meter.rate($0.snapshot.bytesDone, at: now)  // a sample for the windowed rate
            guard now.timeIntervalSince($0.lastLine) >= interval else { return nil }
            return Self.line(&$0, at: now, windowed: true)
        }
        if let line { onMilestone?(line) }
        return line
    }

    /// The status line for a log (never cut to a terminal's width), marked as printed at `now`.
    /// The rate is the recent one for a heartbeat (a stall shows) and the phase's average for a decile.
    private static func line(_ state: inout State, at now: Date, windowed: Bool) -> String {
        state.lastLine = now
        let elapsed = now.timeIntervalSince(state.started)
        let average = elapsed > 0 ? Double(state.snapshot.bytesDone) / elapsed : nil
        let rate = windowed ? state.meter.rate(state.snapshot.bytesDone, at: now) ?? average : average
        return StatusLine.render(state.snapshot, rate: rate, width: .max)
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
