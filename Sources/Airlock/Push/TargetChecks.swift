import Foundation
import NIOConcurrencyHelpers
import OCI
import Registry

/// One check of the target before the first write: what `push --preflight` prints a line for.
public struct TargetCheck: Sendable, Encodable, Equatable {
    public enum Outcome: String, Sendable, Encodable {
        /// The push would go through this check.
        case pass
        /// The push would be refused here (nothing would be written).
        case fail
        /// The push goes through by doing something else (referrers tags instead of the API).
        case adapted
    }

    /// `registry`, `ledger`, `tags`, `base`, `push access`, `referrers`.
    public let check: String
    public let outcome: Outcome
    public let detail: String
}

/// The checks a push makes before its first write (`Pusher.makePushPlan`). A push refuses at the
/// first failure; a preflight (`collecting`) records every failure and goes on, so one run names
/// everything the target would refuse. One set of checks, two ways of ending.
final class TargetChecks: Sendable {
    let collecting: Bool
    private let found = NIOLockedValueBox<[TargetCheck]>([])

    init(collecting: Bool) {
        self.collecting = collecting
    }

    var all: [TargetCheck] { found.withLockedValue { $0 } }

    func record(_ check: String, _ outcome: TargetCheck.Outcome, _ detail: String) {
        found.withLockedValue { $0.append(TargetCheck(check: check, outcome: outcome, detail: detail)) }
    }

    /// Runs a check that refuses by throwing (`AirlockError.refused` or `.notFound`, which say
    /// "nothing was written"). Collecting, the refusal becomes a failed check and nil is returned;
    /// otherwise it is thrown. `passed` describes a pass.
    func run<T>(_ check: String, passed: String, _ body: () async throws -> T) async throws -> T? {
        do {
            let value = try await body()
            record(check, .pass, passed)
            return value
        } catch let error as AirlockError where collecting {
            switch error {
            case .refused(let sentence), .notFound(let sentence):
                record(check, .fail, sentence)
                return nil
            default:
                throw error
            }
        }
    }
}

extension Pusher {
    /// Opens (and cancels) an upload session in every repository the push writes, the ledger's
    /// included: a project that does not exist, a name too deep or a pull-only credential is found
    /// before anything is written, with the registry's own words and the way out.
    /// Returns the repositories refused (only ever non-empty when `checks` is collecting).
    func checkPushAccess(_ repositories: [String], request: PushRequest, client: RegistryClient, checks: TargetChecks) async throws -> Set<String> {
        let refusals = try await BoundedConcurrency.map(repositories, limit: request.concurrency) { repository -> (String, String)? in
            do {
                try await client.probeUpload(repository: repository)
                return nil
            } catch let error as RegistryError {
                guard let sentence = Self.accessRefusal(error, target: "\(request.naming.registry)/\(repository)", repository: repository) else { throw error }
                return (repository, sentence)
            }
        }
        let refused = refusals.compactMap { $0?.1 }
        guard !refused.isEmpty else {
            checks.record("push access", .pass, repositories.count == 1 ? "an upload could start in \(repositories[0]) (cancelled)" : "an upload could start in each of the \(repositories.count) repositories (each cancelled)")
            return []
        }
        for sentence in refused { checks.record("push access", .fail, sentence) }
        guard checks.collecting else {
            let more = refused.count > 1 ? " (and \(refused.count - 1) more \(refused.count == 2 ? "repository" : "repositories"))" : ""
            throw AirlockError.refused("\(refused[0])\(more). Nothing was written")
        }
        return Set(refusals.compactMap { $0?.0 })
    }

    /// What a refused upload session means, in one sentence with the way out; nil for failures
    /// that are not about this repository (the network, the registry as a whole), thrown as they are.
    static func accessRefusal(_ error: RegistryError, target: String, repository: String) -> String? {
        let project = repository.split(separator: "/").first.map(String.init) ?? repository
        switch error {
        case .notFound(_, _, let detail), .unexpectedStatus(404, _, _, let detail):
            return "\(target) cannot be pushed to: the registry has no such project or repository and does not create one on push" + (detail.map { " [\($0)]" } ?? "") + "; create the project \(project) in the registry first, or choose another --to namespace"
        case .unexpectedStatus(400, _, _, let detail) where detail?.contains("NAME_INVALID") == true || detail?.contains("invalid repository name") == true:
            let depth = repository.split(separator: "/").count
            return "the registry refuses the name \(target) (\(depth) path components)" + (detail.map { " [\($0)]" } ?? "") + "; shorten the names with --strip-components 1 (or more), or a --mapping entry"
        case .unauthorized(_, _, true, let detail):
            return "the credentials may not push to \(target) (401 to an upload: a pull-only token, robot or read-only account)" + (detail.map { " [\($0)]" } ?? "") + "; use an account with push rights there"
        case .forbidden, .unexpectedStatus(400..<500, _, _, _):
            return "\(error)"
        default:
            return nil
        }
    }
}
