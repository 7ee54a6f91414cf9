import Foundation
import Testing
import TestSupport

/// A port that is not a registry (python's http.server: 404 text/html to GET /v2/, or a directory
/// listing) is named as such, exit 4, by every command that talks to registries: never read as an
/// empty registry, never its HTML page printed.
struct NotARegistryTests {
    /// `python3 -m http.server` on a free loopback port, serving `root`; ended by `stop()`. Started
    /// through a shell (not Foundation's Process, whose child reaper would take `run`'s children).
    struct WebServer {
        let pid: pid_t
        let host: String

        init(root: URL) throws {
            let port = try freePort()
            host = "127.0.0.1:\(port)"
            let started = try run("sh", ["-c", "python3 -m http.server \(port) --bind 127.0.0.1 --directory '\(root.path)' >/dev/null 2>&1 & echo $!"])
            guard started.status == 0, let pid = pid_t(started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw TestError("could not start python3 -m http.server: \(started.stderr)")
            }
            self.pid = pid
            for _ in 0..<100 {
                if try run("curl", ["-s", "-o", "/dev/null", "http://\(host)/"]).status == 0 { return }
                Thread.sleep(forTimeInterval: 0.1)
            }
            stop()
            throw TestError("python3 -m http.server did not answer on \(host)")
        }

        func stop() {
            kill(pid, SIGTERM)
        }
    }

    @Test(arguments: [false, true])
    func everyRegistryCommandSaysSo(listing: Bool) throws {
        let root = try TestPaths.temporaryDirectory("not-a-registry")
        if listing {  // GET /v2/ then answers 200 text/html (a directory listing)
            try FileManager.default.createDirectory(at: root.appendingPathComponent("v2"), withIntermediateDirectories: true)
        }
        let web = try WebServer(root: root)
        defer { web.stop() }
        let page = try run("curl", ["-s", "-w", "%{http_code} %{content_type}", "-o", "/dev/null", "http://\(web.host)/v2/"])
        #expect(page.stdout.hasPrefix(listing ? "200 text/html" : "404 text/html"), "the server must answer as a web server does: \(page.stdout)")
        let answer = listing ? "200 text/html" : "404 text/html"
        let fixtures = TestPaths.repoRoot.appendingPathComponent("fixtures").path
        let output = root.appendingPathComponent("out.tar.zst").path
        let commands: [[String]] = [
            ["tags", "\(web.host)/acme/app:*"],
            ["pack", "--image", "\(web.host)/acme/app:1.0", "--name", "n", "--version", "1", "-o", output],
            ["push", "\(fixtures)/tiny.bundle", "--to", "\(web.host)/site", "--key", "\(fixtures)/keys/test-ed25519.pub"],
            ["status", "--at", "\(web.host)/site"],
            ["prune", "--at", "\(web.host)/site", "--keep-last", "1", "--yes"],
            ["diff", "\(fixtures)/tiny.bundle", "--against", "\(web.host)/site"],
            ["tags", "\(web.host)/acme/app:*", "--json"],
        ]
        for command in commands {
            let result = try AirlockCLI.run(command + ["--retries", "0"])
            #expect(result.status == 4, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("\(web.host) is not a container registry (it answered GET /v2/ with \(answer))"), "\(command): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(command): \(result.stderr)")
            #expect(!result.stdout.contains("<html") && !result.stdout.contains("<!DOCTYPE"), "\(command): \(result.stdout)")
        }
        #expect(!FileManager.default.fileExists(atPath: output))
        let login = try AirlockCLI.run(["login", web.host, "--username", "u", "--password-stdin"], input: Data("p\n".utf8))
        #expect(login.status == 4, "\(login.stderr)")
        #expect(login.stderr.contains("is not a container registry"), "\(login.stderr)")
    }
}
