import ArgumentParser

enum ProgressMode: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// A status line when stderr is a terminal, nothing otherwise.
    case auto
    /// Always the status line.
    case tty
    /// Lines for CI logs: one per image, and bytes, rate and ETA at every tenth and at least every 10 s.
    case plain
    /// Nothing but the result.
    case none
}
