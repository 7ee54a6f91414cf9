import Airlock
import Foundation

/// The one reader of passwords: all of standard input (`--password-stdin`), or a line typed at
/// the terminal with echo off. Never an argument, never echoed, never logged. Reads happen on a
/// thread of their own, off the cooperative pool.
enum SecretInput {
    /// The longest password (or registry token) taken: far more than any registry issues, and
    /// little enough that a credential helper's pipe holds it at once.
    static let limit = 32 << 10

    /// Whether standard input is a terminal someone can type at.
    static var isTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// All of standard input, its trailing line ends dropped.
    static func standardInput() async throws -> String {
        let bytes = try await offPool { try read(untilNewline: false) }
        let password = trimmed(bytes)
        guard !password.isEmpty else { throw AirlockError.usage("--password-stdin read an empty password") }
        return password
    }

    /// One line typed at the terminal after `label` (on stderr); with `echo` false the terminal
    /// does not show it, and Ctrl-C gives the terminal its echo back before airlock ends.
    static func prompt(_ label: String, echo: Bool) async throws -> String {
        var saved = termios()
        let hidden = !echo
        if hidden {
            let unseen = AirlockError.usage("the terminal's echo cannot be turned off to type a password unseen; pipe it in with --password-stdin")
            guard tcgetattr(STDIN_FILENO, &saved) == 0 else { throw unseen }
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            guard tcsetattr(STDIN_FILENO, TCSANOW, &quiet) == 0 else { throw unseen }
            let original = saved
            Interruption.handle {
                var restored = original
                _ = tcsetattr(STDIN_FILENO, TCSANOW, &restored)
                Output.error("\nairlock: interrupted; nothing was stored")
                _exit(ExitStatus.interrupted.rawValue)
            }
        }
        // Echo goes off before the prompt shows: nothing typed after it is ever displayed.
        Output.status(label)
        defer {
            if hidden {
                _ = tcsetattr(STDIN_FILENO, TCSANOW, &saved)
                Output.status("\n")
            }
        }
        let line = trimmed(try await offPool { try read(untilNewline: true) })
        guard !line.isEmpty else { throw AirlockError.usage("nothing was typed at the \(label.trimmingCharacters(in: .init(charactersIn: ": "))) prompt") }
        return line
    }

    /// Standard input up to its end (or the first line end), at most `limit` bytes.
    private static func read(untilNewline: Bool) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: untilNewline ? 1 : 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Foundation.read(STDIN_FILENO, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += chunk[..<count]
            guard bytes.count <= limit else { throw AirlockError.usage("the password is over \(limit / 1024) KiB; no registry password or token is that long") }
            if untilNewline, chunk[0] == 0x0A { break }
        }
        return bytes
    }

    /// The text without its trailing line ends (bytes: "\r\n" is one Character to String).
    private static func trimmed(_ bytes: [UInt8]) -> String {
        var bytes = bytes[...]
        while let last = bytes.last, last == 0x0A || last == 0x0D { bytes = bytes.dropLast() }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }
}
