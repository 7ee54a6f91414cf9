import Foundation

/// Runs `docker-credential-NAME get` with the server URL on stdin.
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

    func get(serverURL: String) async throws -> Credential? {
        let program = "docker-credential-\(name)"
        guard let executable = locate(program) else {
            throw RegistryError.credentialHelper(helper: name, reason: "\(program) is not on PATH")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["get"]
        let run = try HelperRun(process: process, helper: name)
        try await start(process, executable: executable)
        let (status, stdout) = try await run.finish(input: Data(serverURL.utf8), timeout: timeout, helper: name)
        let text = String(decoding: stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard status == 0 else {
            // Helpers print "credentials not found in native keychain" for an unknown server.
            if text.lowercased().contains("not found") { return nil }
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
