import Airlock
import Foundation
import NIOConcurrencyHelpers

/// Shows a `TransferProgress` on stderr: one redrawn status line (bytes, percent, rate, ETA, what is in
/// flight) on a terminal; for logs, plain lines: every image done, and bytes, rate and ETA at every
/// tenth of a phase and at least every 10 s.
final class ProgressDisplay: Sendable {
    let progress: TransferProgress
    private let mode: ProgressMode
    /// Whether the display stopped, and whether a status line is on screen. Drawing and clearing
    /// happen under this lock, so `stop` clears the last line without waiting for the drawing thread.
    private let screen = NIOLockedValueBox((stopped: false, shown: false))

    init(mode: ProgressMode) {
        self.mode = mode
        switch mode {
        case .plain:
            progress = TransferProgress(onMilestone: { line in
                Output.error(line)
            })
        default:
            progress = TransferProgress()
        }
        if mode == .tty || mode == .plain {
            let thread = Thread { [self] in mode == .tty ? self.redrawUntilStopped() : self.beatUntilStopped() }
            thread.name = "airlock progress"
            thread.start()
        }
    }

    /// Runs `body` with this display's progress and always clears the status line afterwards,
    /// so the result and any error start on a clean line.
    func run<T>(_ body: (TransferProgress) async throws -> T) async throws -> T {
        defer { stop() }
        return try await body(progress)
    }

    func run<T>(_ body: (TransferProgress) throws -> T) throws -> T {
        defer { stop() }
        return try body(progress)
    }

    /// Clears the status line; the drawing thread ends at its next turn without drawing again.
    func stop() {
        screen.withLockedValue { screen in
            if screen.shown { Output.status("\r\u{1B}[2K") }
            screen = (stopped: true, shown: false)
        }
    }

    /// Plain mode: a line when a phase has been quiet for 10 s (a tenth of its bytes prints one at once).
    private func beatUntilStopped() {
        // Under the lock, so no line follows `stop` (and the result).
        while screen.withLockedValue({ screen in
            if !screen.stopped { progress.heartbeat() }
            return !screen.stopped
        }) {
            Thread.sleep(forTimeInterval: 0.5)
        }
    }

    private func redrawUntilStopped() {
        var meter = RateMeter()
        while true {
            let snapshot = progress.snapshot
            let rate = meter.rate(snapshot.bytesDone, at: Date())
            let stopped = screen.withLockedValue { screen in
                guard !screen.stopped else { return true }
                if !snapshot.phase.isEmpty {
                    let line = StatusLine.render(snapshot, rate: rate, width: StatusLine.width)
                    Output.status("\r\u{1B}[2K" + line)
                    screen.shown = true
                }
                return false
            }
            if stopped { return }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }
}
