/// Runs an operation over many inputs with at most `limit` in flight, keeping input order.
public enum BoundedConcurrency {
    public static func map<Input: Sendable, Output: Sendable>(
        _ inputs: [Input],
        limit: Int,
        _ transform: @escaping @Sendable (Input) async throws -> Output
    ) async throws -> [Output] {
        var results = [Output?](repeating: nil, count: inputs.count)
        try await withThrowingTaskGroup(of: (Int, Output).self) { group in
            var next = 0
            func launch() {
                let index = next
                let input = inputs[index]
                group.addTask { (index, try await transform(input)) }
                next += 1
            }
            while next < inputs.count, next < max(1, limit) { launch() }
            while let (index, output) = try await group.next() {
                results[index] = output
                if next < inputs.count { launch() }
            }
        }
        return results.compactMap { $0 }
    }
}
