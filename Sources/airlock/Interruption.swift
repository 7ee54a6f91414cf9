import Dispatch
import Airlock
import Foundation
import NIOConcurrencyHelpers

/// Ctrl-C and SIGTERM during a long command. By default the command says what was kept and how to
/// carry on, then exits 130 (128 + SIGINT, as shells report it); what it wrote is left for its
/// re-run, which reuses it.
enum Interruption {
    // Signal sources must stay alive for the process's life; set once, before any signal.
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    /// Runs `handler` (once) on the first SIGINT or SIGTERM, instead of dying at once.
    static func handle(_ handler: @escaping @Sendable () -> Void) {
        let once = OnceFlag()
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { if once.claim() { handler() } }
            source.resume()
            return source
        }
    }

    /// One sentence saying what the re-run will pick up (`message`), then exit 130.
    static func explain(_ message: @escaping @Sendable () -> String) {
        handle {
            if isatty(STDERR_FILENO) == 1 { Output.status("\r\u{1B}[2K") }  // the status line
            Output.error("airlock: interrupted; \(Output.printable(message()))")
            // _exit, not exit: exit's handlers (OpenSSL's cleanup among them) would tear down state
            // that the threads still working use, and crash them. Output is unbuffered; work files are on disk.
            _exit(ExitStatus.interrupted.rawValue)
        }
    }

    /// True for the first caller only.
    private final class OnceFlag: Sendable {
        private let claimed = NIOLockedValueBox(false)
        func claim() -> Bool {
            claimed.withLockedValue { claimed in
                defer { claimed = true }
                return !claimed
            }
        }
    }
}
