import NIOCore

/// The slowest a response body may arrive: in every `window`, at least `minimumRate` bytes a
/// second on average, and a small body (`collect`) whole within the request timeout. A registry
/// that drips a byte every few seconds never trips the read timeout (it resets at each byte), so
/// without this one request could hold a command forever.
struct BodyPace {
    let minimumRate: Int64
    let window: TimeAmount
    /// When the whole body must be in, if it has a deadline.
    let deadline: NIODeadline?
    private var windowStart = NIODeadline.now()
    private var inWindow: Int64 = 0

    /// A body that fell below the pace; `reason` says how, in words.
    struct Stalled: Error {
        let reason: String
    }

    init(_ options: TransportOptions, deadline: NIODeadline? = nil) {
        self.minimumRate = options.minimumRate
        self.window = options.rateWindow
        self.deadline = deadline
    }

    /// Counts `bytes` just received; throws when the body has fallen below the pace.
    mutating func record(_ bytes: Int) throws(Stalled) {
        inWindow += Int64(bytes)
        let now = NIODeadline.now()
        if let deadline, now > deadline {
            throw Stalled(reason: "the registry did not send the whole answer within the request timeout (--request-timeout)")
        }
        guard now - windowStart >= window else { return }
        let seconds = max(1, window.nanoseconds / 1_000_000_000)
        guard inWindow >= minimumRate * seconds else {
            throw Stalled(reason: "the registry sent \(inWindow) bytes in \(seconds) s, below the minimum rate of \(minimumRate) bytes/s (--min-rate)")
        }
        windowStart = now
        inWindow = 0
    }
}
