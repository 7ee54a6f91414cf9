import Foundation
import OCI

/// Runs `docker-credential-NAME get|store|erase`: the server URL (or, to store, a JSON
/// `{"ServerURL","Username","Secret"}`) on stdin, the answer on stdout.
/// Protocol: https://github.com/docker/docker-credential-helpers#development
struct CredentialHelper {
    let name: String
    let searchPath: String?
    /// A helper that has not answered by then (a keychain prompt nobody sees, a hung agent) is killed.
    var timeout: Duration = DockerConfig.defaultHelperTimeout

    struct Reply: Decodable {
        let Username: String
        let Secret: String
    }

    /// What `store` reads.
    struct Entry: Encodable {
        let ServerURL: String
        let Username: String
        let Secret: String
    }

    func get(serverURL: String) async throws -> Credential? {
        let (status, stdout) = try await run("get", input: Data(serverURL.utf8))
        guard status == 0 else {
            if Self.saysNotFound(stdout) { return nil }
            throw RegistryError.credentialHelper(helper: name, reason: "exited with status \(status)")
        }
        guard let reply = try? JSONDecoder().decode(Reply.self, from: stdout) else {
            throw RegistryError.credentialHelper(helper: name, reason: "its answer is not the expected JSON")
        }
        if reply.Username == "<token>" {
            return Credential(username: "<token>", password: "", identityToken: reply.Secret)
        }
        return Credential(username: reply.Username, password: reply.Secret)
    }

    /// Hands the helper `credential` for `serverURL`; its answer is never shown (it may echo the secret).
    func store(serverURL: String, credential: Credential) async throws {
        let entry = Entry(ServerURL: serverURL, Username: credential.username, Secret: credential.password)
        let (status, _) = try await run("store", input: Data(try CanonicalJSON.compact(entry)))
        guard status == 0 else {
            throw RegistryError.credentialHelper(helper: name, reason: "store exited with status \(status)")
        }
    }

    /// Asks the helper to forget `serverURL`; false when it had nothing for it.
    func erase(serverURL: String) async throws -> Bool {
        let (status, stdout) = try await run("erase", input: Data(serverURL.utf8))
        guard status == 0 else {
            if Self.saysNotFound(stdout) { return false }
            throw RegistryError.credentialHelper(helper: name, reason: "erase exited with status \(status)")
        }
        return true
    }

    /// Helpers print "credentials not found in native keychain" for an unknown server.
    private static func saysNotFound(_ stdout: Data) -> Bool {
        String(decoding: stdout, as: UTF8.self).lowercased().contains("not found")
    }

    /// One run of `docker-credential-NAME verb`, `input` on its stdin: its status and stdout.
    private func run(_ verb: String, input: Data) async throws -> HelperRun.Outcome {
        guard input.count <= HelperRun.inputLimit else {
            throw RegistryError.credentialHelper(helper: name, reason: "what it would be sent is over \(HelperRun.inputLimit / 1024) KiB")
        }
        let program = "docker-credential-\(name)"
        guard let executable = locate(program) else {
            throw RegistryError.credentialHelper(helper: name, reason: "\(program) is not on PATH")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [verb]
        let run = try HelperRun(process: process, helper: name)
        try await start(process, executable: executable)
        return try await run.finish(input: input, timeout: timeout, helper: name)
    }

    /// Starts the helper. Linux refuses to run a file that some process still holds open for
    /// writing (ETXTBSY), which happens for a moment while a helper is being installed or
    /// updated; that is retried briefly rather than reported.
    private func start(_ process: Process, executable: String) async throws {
        for attempt in 1...5 {
            do {
                try HelperPipe.spawning.withLock { try process.run() }
                return
            } catch let error as NSError where error.domain == NSPOSIXErrorDomain && error.code == Int(ETXTBSY) && attempt < 5 {
                try await Task.sleep(for: .milliseconds(20 * attempt))
            } catch {
                throw RegistryError.credentialHelper(helper: name, reason: "could not start \(executable)")
            }
        }
    }

    private func locate(_ program: String) -> String? {
        let path = searchPath ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
