import Airlock
import ArgumentParser
import Registry

struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout",
        abstract: "Remove a registry's stored login, from the file or credential helper airlock login stored it in.",
        discussion: """
            Removes the registry's entry from its credHelpers helper, or else from config.json's \
            auths and from the credsStore helper. A registry with no login is not an error: \
            airlock says so and exits 0, as docker logout does.

            Example: airlock logout registry.example.com:5000
            """
    )

    @Argument(help: "The registry: HOST[:PORT], as it was given to airlock login.")
    var registry: String

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let target = try LoginTarget(parsing: registry)
        let erased = try await RegistryLogin(target: target).logout()
        guard !erased.isEmpty else {
            Output.line("Not logged in to \(target.host)")
            return
        }
        Output.line("Logged out of \(target.host) (" + erased.map(Self.removed).joined(separator: " and ") + ")")
    }

    static func removed(_ store: CredentialStore) -> String {
        switch store {
        case .file(let path): "removed from \(path)"
        case .helper(let name): "erased by docker-credential-\(name)"
        }
    }
}
