import Foundation
@testable import Registry
import Testing
import TestSupport

/// A credential helper runs without holding a thread of the cooperative pool, and one that hangs
/// is stopped after its timeout with one sentence naming it.
struct CredentialHelperTimeoutTests {
    /// Writes `docker-credential-NAME`.
    func writeHelper(_ name: String, _ script: String, in directory: URL) throws {
        try writeExecutable(directory.appendingPathComponent("docker-credential-\(name)").path, script)
    }

    @Test func hungHelperIsStoppedWithOneSentence() async throws {
        let directory = try TestPaths.temporaryDirectory("hung-helper")
        // Not exec'd: the sleeping child keeps the output pipe open after its parent is killed.
        try writeHelper("hang", "#!/bin/sh\nsleep 1000\n", in: directory)
        try #"{"credsStore":"hang"}"#.write(to: directory.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let config = try DockerConfig(environment: ["DOCKER_CONFIG": directory.path, "PATH": directory.path], helperTimeout: .milliseconds(300))
        let clock = ContinuousClock()
        let start = clock.now
        do {
            _ = try await config.credential(for: "registry.example.com")
            Issue.record("a hung helper gave an answer")
        } catch let error as RegistryError {
            guard case .credentialHelper(let helper, _) = error else { throw error }
            #expect(helper == "hang")
            #expect(error.description.hasPrefix("credential helper docker-credential-hang failed: it did not answer within"), "\(error)")
            #expect(!error.description.contains("\n"))
        }
        // Loose: in the full suite, other suites' synchronous tests (waiting on processes) can hold
        // both of the pool's threads for a minute before this task runs again; before the fix this
        // never returned at all.
        #expect(clock.now - start < .seconds(180), "the timeout did not stop the helper")
    }

    @Test func helpersRunConcurrentlyWithoutBlockingThePool() async throws {
        // More helpers at once than the pool has threads, each answering only once all of them
        // have started: helpers that held a pool thread while they ran could never all start.
        let count = ProcessInfo.processInfo.activeProcessorCount * 3
        let directory = try TestPaths.temporaryDirectory("barrier-helper")
        let started = directory.appendingPathComponent("started").path
        try FileManager.default.createDirectory(atPath: started, withIntermediateDirectories: true)
        try writeHelper("barrier", """
            #!/bin/sh
            read -r server
            touch "\(started)/$server"
            i=0
            while [ "$(ls '\(started)' | wc -l)" -lt \(count) ]; do
              i=$((i + 1)); [ $i -lt 900 ] || exit 1
              sleep 0.1
            done
            echo '{"Username":"u","Secret":"s"}'
            """, in: directory)
        try #"{"credsStore":"barrier"}"#.write(to: directory.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        let config = try DockerConfig(environment: ["DOCKER_CONFIG": directory.path, "PATH": directory.path + ":/usr/bin:/bin"],
                                      helperTimeout: .seconds(120))
        let users = try await withThrowingTaskGroup(of: String?.self) { group in
            for index in 0..<count { group.addTask { try await config.credential(for: "r\(index).example.com")?.username } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(users.count == count && users.allSatisfy { $0 == "u" })
    }
}
