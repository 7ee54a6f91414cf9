import Foundation

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
        if rate == 0, snapshot.bytesTotal > snapshot.bytesDone {
            parts.append("stalled")
        } else if let rate, rate > 0 {
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
