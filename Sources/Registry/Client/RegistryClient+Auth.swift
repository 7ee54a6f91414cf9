import AsyncHTTPClient
import NIOHTTP1

/// The 401 step of `send`: learning a challenge, and the error a refusal becomes.
extension RegistryClient {
    /// Takes a 401's challenges from the registry's origin and gets the authorization they ask
    /// for; throws `unauthorized` when there is nothing new to try.
    func authenticate(after answer: Answer, _ purpose: Purpose) async throws {
        let challenges = answer.response.headers["WWW-Authenticate"].flatMap(AuthChallenge.parse)
        await Self.discard(answer.response)
        let sentBasic = answer.authorization?.hasPrefix("Basic ") ?? false
        guard try await session.learn(challenges, for: purpose.scopes, sentAuthorization: sentBasic, client: self) else {
            throw try await unauthorized(purpose, detail: nil)
        }
    }

    /// The error for a 401 that authentication did not cure, its body read once.
    func refusal(_ response: HTTPClientResponse, _ purpose: Purpose) async throws -> RegistryError {
        let challenges = response.headers["WWW-Authenticate"].flatMap(AuthChallenge.parse)
        let detail = await Self.errorSummary(response)
        let error = try await unauthorized(purpose, detail: detail)
        // Authenticated, but the token does not grant this: a denial, not a login problem.
        if case .unauthorized(_, _, true, _) = error, challenges.contains(where: { $0.parameters["error"] == "insufficient_scope" }) {
            return RegistryError.forbidden(host: host, repository: purpose.repository, access: purpose.access, detail: detail)
        }
        return error
    }

    func unauthorized(_ purpose: Purpose, detail: String?) async throws -> RegistryError {
        let hadCredentials = try await session.hasCredential(client: self)
        return .unauthorized(host: host, repository: purpose.repository, hadCredentials: hadCredentials, detail: detail)
    }
}
