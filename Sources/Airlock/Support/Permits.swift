import NIOConcurrencyHelpers

/// At most `limit` holders at once; the others wait their turn in order, suspended (never
/// blocking a thread). For work whose memory must stay bounded however many clients ask at once.
final class Permits: Sendable {
    private let state: NIOLockedValueBox<(available: Int, waiting: [CheckedContinuation<Void, Never>])>

    init(_ limit: Int) {
        state = NIOLockedValueBox((limit, []))
    }

    func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLockedValue { state -> Bool in
                guard state.available > 0 else {
                    state.waiting.append(continuation)
                    return false
                }
                state.available -= 1
                return true
            }
            if granted { continuation.resume() }
        }
    }

    /// Hands the permit to the longest waiter, if any.
    func release() {
        let next = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiting.isEmpty else {
                state.available += 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}
