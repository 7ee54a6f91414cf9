import Foundation

extension AirlockCLI {
    /// Runs airlock with stdout a pipe whose read end is already closed (`airlock … | head -c0`),
    /// SIGPIPE at its default as a shell leaves it.
    public static func runWithClosedStdout(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        let scratch = try TestPaths.temporaryDirectory("closed-pipe")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let stderrPath = scratch.appendingPathComponent("err").path
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw TestError("pipe() failed") }
        close(fds[0])
        defer { close(fds[1]) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))

        var merged = ProcessInfo.processInfo.environment
        merged["DOCKER_CONFIG"] = try TestPaths.temporaryDirectory("empty-docker-config").path
        merged.merge(environment) { $1 }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let env = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { env.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, env)
        guard spawned == 0 else { throw TestError("cannot start airlock: \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let exitStatus: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return ProcessResult(status: exitStatus, stdout: "", stderr: (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "")
    }

    /// Runs airlock under a pseudo-terminal (script(1)), so standard input is a terminal; gives up
    /// after `timeout` seconds (status 124, as timeout(1) reports).
    public static func runOnTerminal(_ arguments: [String], timeout: Int = 20) throws -> ProcessResult {
        let quoted = ([path] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        var environment = ProcessInfo.processInfo.environment
        environment["DOCKER_CONFIG"] = try TestPaths.temporaryDirectory("empty-docker-config").path
        return try TestSupport.run("timeout", ["-k", "2", String(timeout), "script", "-qec", quoted, "/dev/null"], environment: environment)
    }
}
