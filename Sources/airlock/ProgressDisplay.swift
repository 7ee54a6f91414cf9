import Airlock
import ArgumentParser
import Foundation
import Synchronization

enum ProgressMode: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// A status line when stderr is a terminal, nothing otherwise.
    case auto
    /// Always the status line.
    case tty
    /// One line per image (or per tenth of the bytes), for CI logs.
    case plain
    /// Nothing but the result.
    case none
}

/// `--progress`, for the commands that move bytes (pack, verify, push, unpack).
struct ProgressOptions: ParsableArguments {
    @Option(help: "Progress on stderr: auto (a status line on a terminal, nothing when piped), tty, plain (one line per image, for CI logs), or none.")
    var progress: ProgressMode = .auto

    /// The display for these options; `--quiet` silences it, `--verbose` turns the status line
    /// into plain lines (log lines and a redrawn line do not mix).
    func display(_ output: OutputOptions) -> ProgressDisplay {
        var mode = progress
        if output.quiet { mode = .none }
        if mode == .auto { mode = isatty(STDERR_FILENO) == 1 ? .tty : .none }
        if mode == .tty, output.verbose > 0 { mode = .plain }
        return ProgressDisplay(mode: mode)
    }
}

/// Shows a `TransferProgress` on stderr: one redrawn status line (bytes, percent, rate, ETA, what is in
/// flight) on a terminal, or one plain line per milestone for logs.
final class ProgressDisplay: Sendable {
    let progress: TransferProgress
    private let mode: ProgressMode
    private let stopped = Mutex(false)
    private let finished = DispatchSemaphore(value: 0)

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
        if mode == .tty {
            let thread = Thread { [self] in self.redrawUntilStopped() }
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

    func stop() {
        let wasStopped = stopped.withLock { value in
            defer { value = true }
            return value
        }
        guard !wasStopped, mode == .tty else { return }
        finished.wait()
    }

    private func redrawUntilStopped() {
        var meter = RateMeter()
        var shown = false
        while !stopped.withLock({ $0 }) {
            let snapshot = progress.snapshot
            if !snapshot.phase.isEmpty {
                let line = StatusLine.render(snapshot, rate: meter.rate(snapshot.bytesDone, at: Date()), width: StatusLine.width)
                Output.status("\r\u{1B}[2K" + line)
                shown = true
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        if shown { Output.status("\r\u{1B}[2K") }
        finished.signal()
    }
}
