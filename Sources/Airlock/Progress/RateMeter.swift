import Foundation

/// Bytes per second over the last few seconds (a whole-run average hides stalls).
public struct RateMeter: Sendable {
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
