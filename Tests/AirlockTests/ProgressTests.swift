@testable import Airlock
import Foundation
import OCI
import Synchronization
import Testing

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

    @Test func decilesAndNumberedItemsAreMilestones() {
        let lines = Mutex<[String]>([])
        let progress = TransferProgress(onMilestone: { line in lines.withLock { $0.append(line) } })
        progress.begin("verify", totalBytes: 1000, deciles: true)
        for _ in 0..<100 { progress.add(10) }
        progress.add(500)  // beyond the total: capped
        #expect(progress.snapshot.bytesDone == 1000)
        let deciles = lines.withLock { $0 }
        #expect(deciles.count == 10)
        #expect(deciles.first == "verify 10% (100 B of 1000 B)")
        #expect(deciles.last == "verify 100% (1000 B of 1000 B)")

        lines.withLock { $0.removeAll() }
        progress.begin("push", totalBytes: 0, items: 2)
        progress.itemDone("pushed a")
        progress.itemDone("pushed b")
        #expect(lines.withLock { $0 } == ["[1/2] pushed a", "[2/2] pushed b"])
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
