import Dispatch
import Foundation

/// Ctrl-C and SIGTERM during a long command: one sentence saying what was kept and how to carry
/// on, then exit 130 (128 + SIGINT, as shells report it). What the command wrote is left for its
/// re-run, which reuses it.
enum Interruption {
    // Signal sources must stay alive for the process's life; set once, before any signal.
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    /// `message` runs on a signal, to say what the re-run will pick up.
    static func explain(_ message: @escaping @Sendable () -> String) {
        let made = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if isatty(STDERR_FILENO) == 1 { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }  // the status line
                FileHandle.standardError.write(Data("airlock: interrupted; \(message())\n".utf8))
                exit(130)
            }
            source.resume()
            return source
        }
        sources = made
    }
}
