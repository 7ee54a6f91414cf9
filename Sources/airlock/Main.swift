import Airlock
import Bundle
import OCI
import Registry
import ArgumentParser
import Foundation

@main
struct AirlockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "airlock",
        abstract: "Pack container images into signed bundles, verify them, and push them into air-gapped registries.",
        discussion: "Exit status: \(ExitStatus.helpText). `airlock --version` prints the version.",
        subcommands: [VersionCommand.self, KeygenCommand.self, LoginCommand.self, LogoutCommand.self, TagsCommand.self, PackCommand.self, InspectCommand.self, VerifyCommand.self, SignCommand.self, SplitCommand.self, JoinCommand.self, PushCommand.self, UnpackCommand.self, ExtractCommand.self, DiffCommand.self, ServeCommand.self, StatusCommand.self, PruneCommand.self, PolicyCommand.self]
    )

    /// Parses, runs, and turns every error into one sentence and a documented exit status.
    static func main() async {
        // The tool's version is a root flag only: ArgumentParser's own --version would also claim
        // every subcommand's --version, and pack's --version is the bundle's.
        if Array(CommandLine.arguments.dropFirst()) == ["--version"] {
            Output.line(AirlockVersion.current)
            Foundation.exit(ExitStatus.success.rawValue)
        }
        let command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            // Help and --version exit 0 through here; everything else is a usage error.
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)
            }
            Output.error(fullMessage(for: error))
            FailureDocument.writeIfWanted(message(for: error), status: .usage, command: nil)
            Foundation.exit(ExitStatus.usage.rawValue)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var syncCommand = command
                try syncCommand.run()
            }
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch let violation as PolicyViolation {
            // One line per unmet rule, each printable on its own.
            for line in violation.description.split(separator: "\n") { Output.error("airlock: \(Output.printable(String(line)))") }
            fail(violation.description, status: ExitStatus.of(violation), command: command)
        } catch let error as any DomainError {
            Output.error("airlock: \(Output.printable(Self.sentence(error)))")
            fail(Self.sentence(error), status: ExitStatus.of(error), command: command)
        } catch {
            // Errors ArgumentParser owns: help and version exit 0, validation is a usage error.
            switch exitCode(for: error) {
            case .success:
                exit(withError: error)
            case .validationFailure:
                Output.error(fullMessage(for: error))
                fail(message(for: error), status: .usage, command: command)
            default:
                Output.error("airlock: \(Output.printable(Self.sentence(error)))")
                fail(Self.sentence(error), status: ExitStatus.of(error), command: command)
            }
        }
    }

    /// Ends the process with `status`, after the failure document a --json command owes stdout.
    static func fail(_ sentence: String, status: ExitStatus, command: any ParsableCommand) -> Never {
        FailureDocument.writeIfWanted(sentence, status: status, command: command)
        Foundation.exit(status.rawValue)
    }

    /// The human sentence for an error: its description, never a type dump.
    static func sentence(_ error: any Error) -> String {
        switch error {
        case let error as AirlockError: error.description
        case let error as RegistryError: error.description
        case let error as OCIError: error.description
        case let error as BundleError: error.description
        case let error as PolicyViolation: error.description
        default: "unexpected failure (\(type(of: error))): \(String(describing: error).prefix(300))"
        }
    }
}
