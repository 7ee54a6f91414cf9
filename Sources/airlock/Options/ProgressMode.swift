import ArgumentParser

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
