import Airlock
import ArgumentParser

struct PolicyCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Lint a trust policy and print what it trusts: roles, key ids, thresholds and rules.",
        discussion: "Exit status 0 when the policy is valid; 2 (naming the file and the line) when it is not."
    )

    @Argument(help: "The policy file.", completion: .file(extensions: ["yaml", "yml"]))
    var file: String

    func run() throws {
        for line in PolicyFile.summary(try PolicyFile.load(file)) { Output.line(line) }
    }
}
