import Airlock
import Foundation
import OCI

/// The one writer of stdout (results) and stderr (sentences, progress). A reader that went away
/// (`airlock tags … | head -1`) ends airlock quietly with 141, as a shell reports for git.
enum Output {
    static func line(_ text: String) {
        write(Data((printable(text) + "\n").utf8), to: STDOUT_FILENO)
    }

    /// One line on stderr (already printable, or made so by the caller).
    static func error(_ text: String) {
        write(Data((text + "\n").utf8), to: STDERR_FILENO)
    }

    /// Raw bytes on stderr (status-line redraws).
    static func status(_ text: String) {
        write(Data(text.utf8), to: STDERR_FILENO)
    }

    /// Writes every byte, retrying short writes and EINTR. A closed pipe ends the process: there is
    /// no one left to tell. Any other failure of stdout is a sentence on stderr and exit 6.
    static func write(_ data: Data, to fd: Int32) {
        let failure: Int32? = data.withUnsafeBytes { buffer -> Int32? in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(fd, buffer.baseAddress?.advanced(by: offset), buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return nil
        }
        guard let failure else { return }
        if failure == EPIPE { Foundation.exit(ExitStatus.closedOutput.rawValue) }
        if fd == STDOUT_FILENO {
            error("airlock: cannot write the result to standard output: \(String(cString: strerror(failure)))")
            Foundation.exit(ExitStatus.io.rawValue)
        }
        // stderr itself failed: nothing is left to report on.
    }

    /// A pattern term that matched no tag, on stderr (results stay on stdout).
    @Sendable static func warning(unmatched term: String) {
        error("airlock: warning: \(printable(term)) matches no tag (a typo? --strict makes this an error)")
    }

    /// An image a local chart's values name that the bundle lacks, on stderr.
    @Sendable static func warning(chartImage text: String) {
        error("airlock: warning: \(printable(text))")
    }

    /// An upstream registry whose repositories were renamed: only per-repository mirror files map it.
    @Sendable static func warning(renamedMirrorHost host: String) {
        error("airlock: warning: \(printable(host))'s repositories were renamed on the way (--strip-components or --name-template), so no containerd hosts.toml or EKS Anywhere namespace can map it; registries.conf and the OpenShift mirror sets do")
    }

    /// Names come from bundles and registries, which may be hostile: control characters (terminal
    /// escapes, carriage returns, newlines that forge a second result line) are shown escaped.
    static func printable(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            if scalar.properties.generalCategory == .control {
                result += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    static func json<T: Encodable>(_ value: T) throws {
        let bytes = Data(try CanonicalJSON.pretty(value))
        written.mark()
        write(bytes, to: STDOUT_FILENO)
    }

    /// Whether a JSON document went to stdout already (a failure then adds none).
    static var documentWritten: Bool { written.isSet }
    private static let written = Flag()

    /// Set once, read from any thread.
    private final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        func mark() { lock.withLock { value = true } }
        var isSet: Bool { lock.withLock { value } }
    }

    /// Left-aligned columns separated by two spaces.
    static func table(_ rows: [[String]]) -> [String] {
        guard let width = rows.map(\.count).max() else { return [] }
        var widths = [Int](repeating: 0, count: width)
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        return rows.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
    }
}
