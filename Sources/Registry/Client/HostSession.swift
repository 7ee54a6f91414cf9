import Foundation

/// What one client has learned about its host: the scheme that works, how it wants to be
/// authenticated, and the Bearer tokens it has issued (cached per scope set until they expire).
actor HostSession {
    let host: String
    private var base: String?
    private var pinging: Task<(String, [AuthChallenge]), any Error>?
    private var challenge: AuthChallenge?
    private var credential: Credential??
    private var tokens: [String: Token] = [:]
    private var fetching: [String: Task<Token, any Error>] = [:]
    /// The smallest chunk size a chunked upload to this host went through with (after a fallback,
    /// or `--chunk-size`): every later upload starts there.
    private(set) var learnedChunk: Int?

    struct Token {
        let value: String
        let expires: Double
    }

    init(host: String) { self.host = host }

    func baseURL(client: RegistryClient) async throws -> String {
        if let base { return base }
        if let pinging {
            // Every waiter records the outcome: actor reentrancy gives no order among them.
            let (url, challenges) = try await pinging.value
            base = url
            if challenge == nil { challenge = Self.preferred(challenges) }
            return url
        }
        let task = Task { try await Self.discoverBase(client: client) }
        pinging = task
        do {
            let (url, challenges) = try await task.value
            base = url
            pinging = nil
            if challenge == nil { challenge = Self.preferred(challenges) }
            return url
        } catch {
            pinging = nil
            throw error
        }
    }

    /// Tries each allowed scheme. When all fail, reports a failure from a scheme the server
    /// answered in (a status says more), else the HTTPS failure.
    private static func discoverBase(client: RegistryClient) async throws -> (String, [AuthChallenge]) {
        let options = client.transport.options
        let schemes = RegistryHost.schemes(for: client.host, plainHTTP: options.plainHTTP, named: options.schemes[client.host])
        var reported: (any Error)?
        for (position, scheme) in schemes.enumerated() {
            do {
                let challenges = try await client.ping(scheme: scheme, retry: position == schemes.count - 1)
                return ("\(scheme)://\(client.host)", challenges)
            } catch {
                client.logger.debug("\(scheme) ping of \(client.host) failed: \(error)")
                let answered = switch error as? RegistryError {
                case .unreachable?, .tls?, .speaksHTTPS?, nil: false  // the HTTPS failure says more
                default: true
                }
                if reported == nil || answered { reported = error }
            }
        }
        throw reported ?? RegistryError.unreachable(host: client.host, reason: "no scheme to try")
    }

    /// The smallest request body the registry refused as too large: uploads started after it
    /// (in flight at once, or later) begin below it instead of being refused again.
    private(set) var refusedBody: Int64?

    /// Keeps the smallest chunk size an upload needed.
    func learn(chunk size: Int) {
        learnedChunk = min(learnedChunk ?? size, size)
    }

    func learn(refused size: Int64) {
        refusedBody = min(refusedBody ?? size, size)
    }

    /// Whether the registry has challenged this client (Basic or Bearer) at all.
    var asksForCredentials: Bool { challenge != nil }

    private static func preferred(_ challenges: [AuthChallenge]) -> AuthChallenge? {
        challenges.first { $0.scheme == .bearer } ?? challenges.first { $0.scheme == .basic }
    }

    private func credential(client: RegistryClient) async throws -> Credential? {
        if let credential { return credential }
        let found = try await client.transport.credentials.credential(for: host)
        credential = .some(found)
        return found
    }

    /// Whether there is a credential for this host at all (what a 401's sentence advises depends on it).
    func hasCredential(client: RegistryClient) async throws -> Bool {
        try await credential(client: client) != nil
    }

    /// The Authorization header for a request needing `scopes`, or nil to go anonymous.
    func authorization(for scopes: [String], client: RegistryClient) async throws -> String? {
        guard let challenge else { return nil }
        switch challenge.scheme {
        case .basic:
            return try await credential(client: client)?.basicAuthorization
        case .bearer:
            return "Bearer " + (try await token(for: scopes, challenge: challenge, client: client)).value
        case .other:
            return nil
        }
    }

    /// Takes a 401's challenges; returns whether a retry with new authorization makes sense.
    /// `sentAuthorization` says whether the refused request carried credentials already.
    func learn(_ challenges: [AuthChallenge], for scopes: [String], sentAuthorization: Bool, client: RegistryClient) async throws -> Bool {
        guard let chosen = Self.preferred(challenges) else { return false }
        challenge = chosen
        switch chosen.scheme {
        case .basic:
            // Retry only if we have credentials that this request did not carry.
            guard try await credential(client: client) != nil else { return false }
            return !sentAuthorization
        case .bearer:
            // The token we used (if any) was not enough: drop it and ask again, including the
            // challenge's own scope (registries name the exact scope they want).
            var wanted = scopes
            if let scope = chosen.scope, !wanted.contains(scope) { wanted.append(scope) }
            tokens[Self.key(scopes)] = nil
            let token = try await token(for: wanted, challenge: chosen, client: client)
            tokens[Self.key(scopes)] = token
            return true
        case .other:
            return false
        }
    }

    private static func key(_ scopes: [String]) -> String { scopes.sorted().joined(separator: " ") }

    private func token(for scopes: [String], challenge: AuthChallenge, client: RegistryClient) async throws -> Token {
        let key = Self.key(scopes)
        if let token = tokens[key], token.expires > currentTime() { return token }
        if let task = fetching[key] { return try await task.value }
        let credential = try await credential(client: client)
        let task = Task { try await TokenRequest(challenge: challenge, scopes: scopes, credential: credential, client: client).fetch() }
        fetching[key] = task
        defer { fetching[key] = nil }
        let token = try await task.value
        tokens[key] = token
        return token
    }
}
