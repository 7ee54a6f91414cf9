import NIOConcurrencyHelpers
import OCI
import Registry

/// What discovery remembers across images: each repository's tags (listed once) and whether
/// its registry answers the Referrers API (asked once, then trusted).
final class EvidenceCache: Sendable {
    private let tagLists = NIOLockedValueBox<[String: Task<Set<String>, any Error>]>([:])
    private let probes = NIOLockedValueBox<[String: Task<[Descriptor]?, any Error>]>([:])

    func tags(_ client: RegistryClient, repository: String) async throws -> Set<String> {
        let task = tagLists.withLockedValue { lists in
            if let task = lists["\(client.host)/\(repository)"] { return task }
            let task = Task { Set(try await client.tags(repository: repository)) }
            lists["\(client.host)/\(repository)"] = task
            return task
        }
        return try await task.value
    }

    /// The Referrers API's answer about `subject` (nil: the registry has no such API). The first
    /// call per registry finds out while the others wait, so a registry without it sees one 404.
    func referrers(_ client: RegistryClient, repository: String, subject: Digest, artifactType: String?) async throws -> [Descriptor]? {
        let (probe, first) = probes.withLockedValue { probes -> (Task<[Descriptor]?, any Error>, Bool) in
            if let probe = probes[client.host] { return (probe, false) }
            let probe = Task { try await client.referrers(repository: repository, subject: subject, artifactType: artifactType) }
            probes[client.host] = probe
            return (probe, true)
        }
        let answer = try await probe.value
        if first || answer == nil { return answer }
        return try await client.referrers(repository: repository, subject: subject, artifactType: artifactType)
    }
}
