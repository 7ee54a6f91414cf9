import Airlock
import ArgumentParser
import Registry

struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Check a registry login, then store it where every airlock command reads credentials.",
        discussion: """
            The login is checked with GET /v2/ first; a refused one stores nothing (exit 4). It is \
            stored by the config's credHelpers entry for the registry, else its credsStore, else in \
            $DOCKER_CONFIG/config.json (~/.docker/config.json) as docker login does, mode 0600. The \
            password comes from standard input (--password-stdin) or a prompt that does not show \
            it; there is no --password option, as an argument is visible to every user of the \
            machine and stays in shell history.

            Example: printf '%s\\n' "$TOKEN" | airlock login registry.example.com:5000 --username ci --password-stdin
            """
    )

    @Argument(help: "The registry: HOST[:PORT], optionally after https:// or http://.")
    var registry: String

    @Option(help: "The username (asked for at a terminal when not given).")
    var username: String?

    @Flag(help: "Read the password from standard input (needs --username).")
    var passwordStdin = false

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if passwordStdin, username == nil {
            throw ValidationError("--password-stdin needs --username (standard input holds the password)")
        }
    }

    func run() async throws {
        let target = try LoginTarget(parsing: registry)
        let credential = try await credential()
        let outcome = try await RegistryLogin(target: target).login(credential, options: try connection.transportOptions(), logger: output.logger)
        if !outcome.checked {
            Output.error("airlock: warning: registry \(target.host) asks for no credentials, so the login could not be checked; it was stored anyway")
        }
        Output.line("Logged in to \(target.host) as \(credential.username) (\(Self.stored(outcome.store)))")
    }

    /// The username given or typed, and the password from standard input or typed unseen.
    private func credential() async throws -> Credential {
        if passwordStdin, let username {
            return Credential(username: username, password: try await SecretInput.standardInput())
        }
        guard SecretInput.isTerminal else {
            throw AirlockError.usage("standard input is not a terminal to type a password at: pipe it in with --username U --password-stdin (a password is never taken as an argument)")
        }
        var name = username
        if name == nil { name = try await SecretInput.prompt("Username: ", echo: true) }
        guard let name else { throw AirlockError.usage("airlock login needs a username") }
        return Credential(username: name, password: try await SecretInput.prompt("Password: ", echo: false))
    }

    static func stored(_ store: CredentialStore) -> String {
        switch store {
        case .file(let path): "stored in \(path)"
        case .helper(let name): "stored by docker-credential-\(name)"
        }
    }
}
