import Bundle
import Foundation
import NIOConcurrencyHelpers
import OCI

/// What a long operation has done so far. Operations feed it from any thread or task; the CLI's
/// display samples it. It knows nothing about terminals: `TransferProgress()` is a silent sink.
public final class TransferProgress: Sendable {
    public struct Snapshot: Sendable, Equatable {
        /// What the operation is doing now ("fetch", "verify", "push" …).
        public var phase = ""
        public var bytesDone: Int64 = 0
        public var bytesTotal: Int64 = 0
        /// The blob or image in flight, for the status line.
        public var current: String?
    }

    /// A milestone worth one line in a CI log: an image done, a tenth of the bytes checked.
    public typealias MilestoneHandler = @Sendable (String) -> Void

    private struct State {
        var snapshot = Snapshot()
        var deciles = false
        var lastDecile = 0
        var itemsDone = 0
        var itemsTotal = 0
    }

    // A pthread lock (not Synchronization.Mutex, whose futexes ThreadSanitizer cannot see).
    private let state = NIOLockedValueBox(State())
    private let onMilestone: MilestoneHandler?

    public init(onMilestone: MilestoneHandler? = nil) {
        self.onMilestone = onMilestone
    }

    /// Starts a phase of `totalBytes`. With `deciles`, every tenth of the bytes is a milestone
    /// (for operations whose natural unit is a byte stream, not an image).
    /// `items` is how many images the phase will finish (numbered in their milestones).
    public func begin(_ phase: String, totalBytes: Int64, items: Int = 0, deciles: Bool = false) {
        state.withLockedValue {
            $0 = State(snapshot: Snapshot(phase: phase, bytesDone: 0, bytesTotal: max(totalBytes, 0), current: nil),
                       deciles: deciles, itemsTotal: items)
        }
    }

    /// Counts bytes done. A retried upload may count bytes twice; the total caps what is shown.
    public func add(_ bytes: Int64) {
        let crossed: Int? = state.withLockedValue {
            let done = $0.snapshot.bytesDone + bytes
            $0.snapshot.bytesDone = $0.snapshot.bytesTotal > 0 ? min(done, $0.snapshot.bytesTotal) : done
            guard $0.deciles, $0.snapshot.bytesTotal > 0 else { return nil }
            let decile = Int(min($0.snapshot.bytesDone * 10 / $0.snapshot.bytesTotal, 10))
            guard decile > $0.lastDecile else { return nil }
            $0.lastDecile = decile
            return decile
        }
        if let crossed, let onMilestone {
            let snapshot = self.snapshot
            onMilestone("\(snapshot.phase) \(crossed * 10)% (\(ByteCount.format(min(snapshot.bytesDone, snapshot.bytesTotal))) of \(ByteCount.format(snapshot.bytesTotal)))")
        }
    }

    /// Names what is in flight now.
    public func working(on item: String) {
        state.withLockedValue { $0.snapshot.current = item }
    }

    /// Reports a milestone (one line in plain mode).
    public func milestone(_ text: String) {
        onMilestone?(text)
    }

    /// Reports one of the phase's items finished, as "[3/12] text".
    public func itemDone(_ text: String) {
        let (done, total) = state.withLockedValue {
            $0.itemsDone += 1
            return ($0.itemsDone, $0.itemsTotal)
        }
        onMilestone?(total > 0 ? "[\(done)/\(total)] \(text)" : text)
    }

    public var snapshot: Snapshot {
        state.withLockedValue { $0.snapshot }
    }
}

extension BundleVerifier {
    /// A verifying pass reported to `progress` as one phase over every blob's bytes, with a
    /// milestone per tenth (verify and unpack both run it).
    public func verify(
        input: BundleInput,
        progress: TransferProgress,
        phase: String,
        onManifest: (BundleManifest) throws -> Void = { _ in },
        onBlobData: BlobHandler = { _, _ in },
        onBlobEnd: (Descriptor) throws -> Void = { _ in },
        onIndex: ([UInt8]) throws -> Void = { _ in }
    ) throws -> VerificationReport {
        try verify(
            input: input,
            onManifest: { manifest in
                try onManifest(manifest)
                progress.begin(phase, totalBytes: manifest.blobs.reduce(0) { $0 + $1.size }, deciles: true)
            },
            onBlobData: { descriptor, bytes in
                progress.working(on: descriptor.digest.short)
                try onBlobData(descriptor, bytes)
                progress.add(Int64(bytes.count))
            },
            onBlobEnd: onBlobEnd,
            onIndex: onIndex)
    }
}

/// Byte counts as people read them: 1023 B, 1.5 KiB, 12.0 MiB.
public enum ByteCount {
    public static func format(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}

/// Bytes per second over the last few seconds (a whole-run average hides stalls).
public struct RateMeter {
    private var samples: [(time: Date, bytes: Int64)] = []
    let window: TimeInterval = 5

    public init() {}

    public mutating func rate(_ bytes: Int64, at now: Date) -> Double? {
        if let last = samples.last, bytes < last.bytes { samples.removeAll() }  // a new phase began
        samples.append((now, bytes))
        samples.removeAll { now.timeIntervalSince($0.time) > window }
        guard let first = samples.first, now.timeIntervalSince(first.time) >= 0.5 else { return nil }
        return Double(bytes - first.bytes) / now.timeIntervalSince(first.time)
    }
}

/// `push  412.3 MiB / 1.2 GiB  33%  96.1 MiB/s  ETA 0:09  sha256:ab12cd34 → acme/runtime`
public enum StatusLine {
    public static var width: Int {
        if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), columns > 20 { return columns - 1 }
        return 99
    }

    public static func render(_ snapshot: TransferProgress.Snapshot, rate: Double?, width: Int) -> String {
        var parts = [snapshot.phase]
        if snapshot.bytesTotal > 0 {
            let percent = Int(snapshot.bytesDone * 100 / snapshot.bytesTotal)
            parts.append("\(ByteCount.format(snapshot.bytesDone)) / \(ByteCount.format(snapshot.bytesTotal))")
            parts.append("\(percent)%")
        } else if snapshot.bytesDone > 0 {
            parts.append(ByteCount.format(snapshot.bytesDone))
        }
        if let rate, rate > 0 {
            parts.append("\(ByteCount.format(Int64(rate)))/s")
            if snapshot.bytesTotal > snapshot.bytesDone {
                parts.append("ETA \(duration(Double(snapshot.bytesTotal - snapshot.bytesDone) / rate))")
            }
        }
        if let current = snapshot.current { parts.append(current) }
        let line = parts.joined(separator: "  ")
        return line.count <= width ? line : String(line.prefix(max(width - 1, 0))) + "…"
    }

    /// 0:09, 12:30, 1:02:03.
    public static func duration(_ seconds: Double) -> String {
        let total = Int(min(seconds, 359_999).rounded())
        let (h, m, s) = (total / 3600, total / 60 % 60, total % 60)
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m, s)
    }
}
