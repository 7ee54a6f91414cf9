import Foundation
import Testing
import TestSupport

/// The offline docs: a man page per subcommand that renders cleanly and names every option the
/// parser has, and shell completions generated from the parser.
struct DocsTests {
    static let subcommands = ["keygen", "tags", "pack", "inspect", "verify", "sign", "split", "join", "push", "unpack", "extract", "diff", "serve", "status", "prune"]

    static func render(_ page: String) throws -> ProcessResult {
        try run("sh", ["-c", "MANWIDTH=80 man -l --warnings=all \"$1\" | col -b", "sh", TestPaths.repoRoot.appendingPathComponent("man/\(page)").path])
    }

    @Test(arguments: ["airlock.1", "airlock-bundle.5", "airlock-spec.5"] + subcommands.map { "airlock-\($0).1" })
    func manPageRendersWithoutWarnings(_ page: String) throws {
        let rendered = try Self.render(page)
        #expect(rendered.status == 0)
        #expect(rendered.stderr.isEmpty, "\(page): \(rendered.stderr)")
        #expect(rendered.stdout.contains("NAME") && rendered.stdout.contains("DESCRIPTION"))
        if page.hasSuffix(".1") { #expect(rendered.stdout.contains("EXAMPLES"), "\(page) has no examples") }
    }

    @Test(arguments: subcommands)
    func manPageNamesEveryOption(_ command: String) throws {
        let help = try AirlockCLI.run([command, "--help"])
        #expect(help.status == 0)
        let page = try Self.render("airlock-\(command).1").stdout
        let regex = try NSRegularExpression(pattern: "--[a-z][a-z-]+")
        let options = Set(regex.matches(in: help.stdout, range: NSRange(help.stdout.startIndex..., in: help.stdout)).compactMap {
            Range($0.range, in: help.stdout).map { String(help.stdout[$0]) }
        }).subtracting(["--help", "--version"])
        #expect(!options.isEmpty)
        for option in options.sorted() {
            #expect(page.contains(option), "airlock-\(command)(1) does not document \(option)")
        }
    }

    @Test func airlockPageListsEveryCommandAndExitStatus() throws {
        let page = try Self.render("airlock.1").stdout
        for command in Self.subcommands { #expect(page.contains("airlock-\(command)(1)"), "\(command)") }
        for status in ["0", "1", "2", "3", "4", "5", "6", "7", "8", "70"] {
            #expect(page.range(of: "\\n\\s+\(status)\\s", options: .regularExpression) != nil, "exit status \(status)")
        }
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func completionsCoverEverySubcommand(_ shell: String) throws {
        let script = try AirlockCLI.run(["--generate-completion-script", shell])
        #expect(script.status == 0, "\(script.stderr)")
        for command in Self.subcommands { #expect(script.stdout.contains(command), "\(shell) completion lacks \(command)") }
        #expect(script.stdout.contains("progress"))
    }
}
