@testable import Airlock
import Foundation
import OCI
import Synchronization
import Testing
import TestSupport

struct ProgressTests {
    @Test func statusLineShowsBytesPercentRateAndETA() {
        let snapshot = TransferProgress.Snapshot(phase: "push", bytesDone: 512 << 20, bytesTotal: 2048 << 20, current: "ab12cd34ef56 → acme/runtime")
        let line = StatusLine.render(snapshot, rate: Double(64 << 20), width: 200)
        #expect(line == "push  512.0 MiB / 2.0 GiB  25%  64.0 MiB/s  ETA 0:24  ab12cd34ef56 → acme/runtime")
        let narrow = StatusLine.render(snapshot, rate: nil, width: 20)
        #expect(narrow.count == 20 && narrow.hasSuffix("…"))
        #expect(!StatusLine.render(snapshot, rate: nil, width: 200).contains("ETA"))
    }

    @Test func durations() {
        #expect(StatusLine.duration(9) == "0:09")
        #expect(StatusLine.duration(750) == "12:30")
        #expect(StatusLine.duration(3723) == "1:02:03")
        #expect(StatusLine.duration(1e12) == "99:59:59")
    }

    @Test func rateIsOverARecentWindowAndResetsWithANewPhase() {
        var meter = RateMeter()
        let start = Date(timeIntervalSince1970: 1000)
        #expect(meter.rate(0, at: start) == nil)
        #expect(meter.rate(10 << 20, at: start + 1) == Double(10 << 20))
        // Old samples leave the window: the rate follows the recent speed, not the average.
        _ = meter.rate(20 << 20, at: start + 2)
        #expect(meter.rate(20 << 20, at: start + 6.5) == 0)
        #expect(meter.rate(1 << 20, at: start + 7) == nil)  // fewer bytes: a new phase
    }

    /// A clock the test moves, and the lines a plain display would print.
    final class PlainLog: Sendable {
        let time = Mutex(Date(timeIntervalSince1970: 1000))
        let lines = Mutex<[String]>([])
        func advance(_ seconds: TimeInterval) { time.withLock { $0 += seconds } }
        func progress() -> TransferProgress {
            TransferProgress(onMilestone: { line in self.lines.withLock { $0.append(line) } }, clock: { self.time.withLock { $0 } })
        }
        func take() -> [String] { lines.withLock { lines in defer { lines.removeAll() }; return lines } }
    }

    @Test func everyTenthIsALineWithBytesRateAndETA() {
        let log = PlainLog()
        let progress = log.progress()
        progress.begin("verify", totalBytes: 1000)
        for _ in 0..<100 {  // 80 B/s
            log.advance(0.125)
            progress.add(10)
        }
        progress.add(500)  // beyond the total: capped
        #expect(progress.snapshot.bytesDone == 1000)
        let tenths = log.take()
        #expect(tenths.count == 10)
        #expect(tenths.first == "verify  100 B / 1000 B  10%  80 B/s  ETA 0:11")
        #expect(tenths.last == "verify  1000 B / 1000 B  100%  80 B/s")

        progress.begin("push", totalBytes: 0, items: 2)
        progress.itemDone("pushed a")
        progress.itemDone("pushed b")
        #expect(log.take() == ["[1/2] pushed a", "[2/2] pushed b"])
    }

    @Test func aQuietPhasePrintsALineEvery10SecondsWithTheRecentRate() {
        let log = PlainLog()
        let progress = log.progress()
        #expect(progress.heartbeat() == nil, "no phase yet")
        progress.begin("push", totalBytes: 200 << 20)
        for step in 1...60 {  // 30 s, sampled twice a second as the display does
            log.advance(0.5)
            if step <= 20 { progress.add(1 << 19) }  // 1 MiB/s for 10 s, then nothing
            progress.heartbeat()
        }
        #expect(log.take() == ["push  10.0 MiB / 200.0 MiB  5%  1.0 MiB/s  ETA 3:10",
                               "push  10.0 MiB / 200.0 MiB  5%  stalled",
                               "push  10.0 MiB / 200.0 MiB  5%  stalled"])
        // A tenth prints at once and restarts the 10 s.
        log.advance(1)
        progress.add(10 << 20)
        #expect(log.take().count == 1)
        for _ in 1...19 { log.advance(0.5); progress.heartbeat() }
        #expect(log.take().isEmpty)
        log.advance(0.5)
        progress.heartbeat()
        #expect(log.take().count == 1)
        // A new phase restarts it too.
        progress.begin("write", totalBytes: 100)
        log.advance(9.5)
        #expect(progress.heartbeat() == nil)
        log.advance(0.5)
        #expect(progress.heartbeat() == "write  0 B / 100 B  0%  stalled")
    }

    /// The CLI's plain display beats on its own: a bundle that stops arriving half-way through still
    /// gets a line (bytes, and `stalled`) in the log, not silence.
    @Test func aStalledStreamStillPrintsALine() throws {
        let root = TestPaths.repoRoot.path
        let bundle = root + "/fixtures/tiny.bundle"
        let size = try #require(try FileManager.default.attributesOfItem(atPath: bundle)[.size] as? Int)
        let half = size / 2
        let script = "(head -c \(half) '\(bundle)'; sleep 12; tail -c +\(half + 1) '\(bundle)') | '\(AirlockCLI.path)' verify - --key '\(root)/fixtures/keys/test-ed25519.pub' --progress plain"
        let result = try run("sh", ["-c", script])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("verify  ") && $0.contains("stalled") && !$0.contains("  100%") }, "\(result.stderr)")
        #expect(lines.last?.contains("  100%  ") == true, "\(result.stderr)")
    }

    @Test func anImageIsDoneWhenItsLastBlobIs() throws {
        let a = try Digest.of(Array("a".utf8)), b = try Digest.of(Array("b".utf8)), c = try Digest.of(Array("c".utf8))
        let completion = ImageCompletion([("one", [a, b]), ("two", [b, c])])
        #expect(completion.done(b).isEmpty)
        #expect(completion.done(a) == ["one"])
        #expect(completion.done(a).isEmpty)
        #expect(completion.done(c) == ["two"])
    }
}
