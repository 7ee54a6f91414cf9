import Foundation

/// When and how long to wait before trying a request again: exponential backoff with jitter,
/// `Retry-After` honoured (capped), and a bound on attempts and on total waiting.
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// Total time spent waiting across all attempts of one operation.
    public var maxTotalDelay: Duration
    /// The backoff's random factor (default: [0.5, 1)); injectable so tests are deterministic.
    public var jitter: @Sendable () -> Double

    public init(
        maxAttempts: Int = 6,
        baseDelay: Duration = .milliseconds(250),
        maxDelay: Duration = .seconds(15),
        maxTotalDelay: Duration = .seconds(60),
        jitter: @escaping @Sendable () -> Double = { Double.random(in: 0.5..<1.0) }
    ) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxTotalDelay = maxTotalDelay
        self.jitter = jitter
    }

    public static let `default` = RetryPolicy()
    public static let none = RetryPolicy(maxAttempts: 1)

    /// HTTP statuses worth another try: timeouts, rate limits and server-side failures.
    public static func isRetryable(status: Int) -> Bool {
        status == 408 || status == 429 || (500...599).contains(status) && status != 501 && status != 505
    }

    /// The wait before attempt `attempt + 1` (attempts count from 1), or nil to give up.
    /// `waited` is the total already spent waiting.
    public func delay(afterAttempt attempt: Int, retryAfter: Duration?, waited: Duration) -> Duration? {
        guard attempt < maxAttempts else { return nil }
        var wait: Duration
        if let retryAfter {
            wait = min(retryAfter, maxDelay)
        } else {
            let exponent = min(attempt - 1, 20)
            let backoff = baseDelay * (1 << exponent)
            wait = min(backoff, maxDelay) * jitter()
        }
        if waited + wait > maxTotalDelay { return nil }
        if wait < .zero { wait = .zero }
        return wait
    }

    /// Parses `Retry-After`: delta-seconds or an HTTP date.
    public static func parseRetryAfter(_ value: String?, now: Double = currentTime()) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Int(value), seconds >= 0 { return .seconds(seconds) }
        if let date = HTTPDate.parse(value) {
            return .milliseconds(max(0, Int64((date - now) * 1000)))
        }
        return nil
    }
}
