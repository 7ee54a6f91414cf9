import Airlock
import ArgumentParser

/// `airlock policy check FILE`: lints a trust policy and says what it trusts.
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Check a trust policy file (airlock-policy(5)).",
        subcommands: [PolicyCheckCommand.self]
    )
}
