import ArgumentParser
import Foundation

/// `--progress`, for the commands that move bytes (pack, verify, push, unpack).
struct ProgressOptions: ParsableArguments {
    @Option(help: "Progress on stderr: auto (a status line on a terminal, nothing when piped), tty, plain (lines for CI logs: each image, and bytes, rate and ETA at least every 10 s or 10%), or none.")
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
