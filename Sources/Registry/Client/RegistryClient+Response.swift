import AsyncHTTPClient
import NIOCore

/// Judging and reading answers: the status check of every `send` answer, whole small bodies, error bodies.
extension RegistryClient {
    /// What the caller does with the body of an expected response.
    enum BodyUse {
        /// Drained here, so the connection can be reused.
        case discard
        /// Read by the caller.
        case keep
    }

    /// Judges a response's status: one of `statuses` is returned (its body drained unless the
    /// caller keeps it); any other becomes the matching error, its body read once for the
    /// registry's own message. Every `send` answer is judged here, so no body is read twice.
    @discardableResult
    func expect(
        _ response: HTTPClientResponse,
        _ statuses: Set<Int>,
        _ purpose: Purpose,
        notFound: String? = nil,
        body: BodyUse = .discard
    ) async throws -> Int {
        let status = Int(response.status.code)
        guard statuses.contains(status) else {
            let detail = await Self.errorSummary(response)
            switch status {
            case 401:
                throw try await unauthorized(purpose, detail: detail)
            case 403:
                throw RegistryError.forbidden(host: host, repository: purpose.repository, access: purpose.access, detail: detail)
            case 404 where purpose.access == .read:
                throw RegistryError.notFound(what: notFound ?? purpose.description, host: host, detail: detail)
            case 405 where purpose.access == .delete:
                throw RegistryError.deleteRefused(host: host, detail: detail)
            default:
                throw RegistryError.unexpectedStatus(status, operation: purpose.description, host: host, detail: detail)
            }
        }
        if body == .discard { await Self.discard(response) }
        return status
    }

    /// Reads a whole (small) body, refusing more than `limit` bytes and one that does not arrive
    /// within the request timeout, however slowly it drips (`BodyPace`).
    static func collect(_ response: HTTPClientResponse, limit: Int, what: String, host: String, options: TransportOptions) async throws -> [UInt8] {
        var pace = BodyPace(options, deadline: .now() + options.requestTimeout)
        var bytes: [UInt8] = []
        if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), length > limit {
            throw RegistryError.protocolViolation(host: host, reason: "\(what) is \(length) bytes, over the \(limit)-byte limit")
        }
        do {
            for try await chunk in response.body {
                guard bytes.count + chunk.readableBytes <= limit else {
                    throw RegistryError.protocolViolation(host: host, reason: "\(what) is over the \(limit)-byte limit")
                }
                bytes.append(contentsOf: chunk.readableBytesView)
                try pace.record(chunk.readableBytes)
            }
        } catch let error as RegistryError {
            throw error
        } catch let slow as BodyPace.Stalled {
            throw RegistryError.unreachable(host: host, reason: slow.reason)
        } catch {
            throw TransportFailure.classify(error, host: host).error
        }
        return bytes
    }

    /// The registry's error body in one line, if it sent one (at most 64 KiB read). Reads the
    /// body: call it only on a response nobody else reads.
    static func errorSummary(_ response: HTTPClientResponse) async -> String? {
        await drain(response, keeping: 65536).map(RegistryErrorBody.summary) ?? nil
    }

    /// Drains a body we do not need so the connection can be reused.
    static func discard(_ response: HTTPClientResponse) async {
        _ = await drain(response, keeping: 0)
    }

    /// Reads a body nobody acts on, keeping its first `keeping` bytes; stops after 1 MiB or 30 s
    /// (the connection is then dropped instead of reused), so an endless or dripping error body
    /// cannot hold a command. Nil when the body broke.
    private static func drain(_ response: HTTPClientResponse, keeping: Int) async -> [UInt8]? {
        let deadline = NIODeadline.now() + .seconds(30)
        var bytes: [UInt8] = []
        var read = 0
        do {
            for try await chunk in response.body {
                if bytes.count < keeping { bytes.append(contentsOf: chunk.readableBytesView.prefix(keeping - bytes.count)) }
                read += chunk.readableBytes
                if read >= 1 << 20 || NIODeadline.now() > deadline { break }
            }
        } catch {
            // The connection is dropped instead of reused; nothing more to report.
            return nil
        }
        return bytes
    }
}
