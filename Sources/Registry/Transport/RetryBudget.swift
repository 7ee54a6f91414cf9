/// One operation's way through a `RetryPolicy`: which attempt it is on and how long it has waited.
struct RetryBudget {
    let policy: RetryPolicy
    private(set) var attempt = 1
    private var waited = Duration.zero

    init(_ policy: RetryPolicy) { self.policy = policy }

    /// Sleeps before the next attempt and returns the pause, or returns nil when the policy gives up.
    mutating func backOff(retryAfter: Duration? = nil) async throws -> Duration? {
        guard let delay = policy.delay(afterAttempt: attempt, retryAfter: retryAfter, waited: waited) else { return nil }
        try await Task.sleep(for: delay)
        waited += delay
        attempt += 1
        return delay
    }
}
