import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One run of a credential helper that blocks no thread of the cooperative pool: its output is
/// read on a thread of its own, its exit comes from the termination handler, and a helper that
/// does not finish in time is stopped. Create it before starting the process: it installs the
/// pipes and the handler.
final class HelperRun: Sendable {
    typealias Outcome = (status: Int32, output: Data)

    private struct State {
        var output = Data()
        var outputEnded = false
        var status: Int32?
        var result: Result<Outcome, any Error>?
        var waiter: CheckedContinuation<Outcome, any Error>?
    }

    /// The most a helper is sent (CredentialHelper refuses more): a pipe holds it all at once.
    static let inputLimit = 60 << 10
    /// More than any helper's JSON answer; the rest is dropped.
    static let outputLimit = 1 << 20
    private let state = NIOLockedValueBox(State())
    private let process: Process
    private let input: HelperPipe
    private let output: HelperPipe

    init(process: Process, helper: String) throws {
        self.process = process
        input = try HelperPipe(helper: helper)
        output = try HelperPipe(helper: helper)
        process.standardInput = input.reading
        process.standardOutput = output.writing
        // Never read: a chatty helper must not block on a full pipe.
        process.standardError = FileHandle.nullDevice
        process.terminationHandler = { [weak self] process in
            let status = process.terminationStatus
            self?.settle { $0.status = status }
        }
    }

    /// Feeds `input` to the started helper and waits for its exit status and output.
    func finish(input bytes: Data, timeout: Duration, helper: String) async throws -> Outcome {
        do {
            // The helper has its own copies of these ends now; ours would keep its output open.
            try input.reading.close()
            try output.writing.close()
            // At most `inputLimit`, below a pipe's capacity: this write does not wait for the helper.
            try input.writing.write(contentsOf: bytes)
            try input.writing.close()
        } catch {
            stop(RegistryError.credentialHelper(helper: helper, reason: "it closed its input before reading it"))
        }
        // A thread of its own, blocked in read(2) until the helper's output ends. It holds the
        // pipe until then, so the descriptor is never closed under it.
        let reader = Thread { [self] in
            var ended = false
            while !ended {
                let chunk: Data
                do {
                    chunk = try output.reading.read(upToCount: 64 << 10) ?? Data()
                } catch {
                    stop(RegistryError.credentialHelper(helper: helper, reason: "its answer could not be read (\(error))"))
                    return
                }
                ended = chunk.isEmpty
                settle { state in
                    state.outputEnded = ended
                    state.output.append(chunk.prefix(max(0, Self.outputLimit - state.output.count)))
                }
            }
        }
        reader.start()
        // A Dispatch timer, not a task: it stops the helper even while the cooperative pool is busy.
        let timer = DispatchWorkItem { [weak self] in
            self?.stop(RegistryError.credentialHelper(
                helper: helper,
                reason: "it did not answer within \(timeout.components.seconds) s and was stopped (is it waiting for a password or an unlocked keychain?)"))
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)), execute: timer)
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let ready = state.withLockedValue { state -> Result<Outcome, any Error>? in
                    if let result = state.result { return result }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            stop(CancellationError())
        }
    }

    /// Records what arrived; once the output has ended and the helper has exited, the run is done.
    private func settle(_ update: (inout State) -> Void) {
        let done = state.withLockedValue { state -> (CheckedContinuation<Outcome, any Error>?, Outcome)? in
            update(&state)
            guard state.result == nil, state.outputEnded, let status = state.status else { return nil }
            let outcome = (status: status, output: state.output)
            state.result = .success(outcome)
            defer { state.waiter = nil }
            return (state.waiter, outcome)
        }
        if let done { done.0?.resume(returning: done.1) }
    }

    /// Ends the run with `error` unless it is already done, killing the helper if it still runs.
    private func stop(_ error: any Error) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Outcome, any Error>?? in
            guard state.result == nil else { return nil }
            state.result = .failure(error)
            defer { state.waiter = nil }
            return .some(state.waiter)
        }
        guard let waiter else { return }
        if process.isRunning { process.terminate() }
        waiter?.resume(throwing: error)
    }
}
