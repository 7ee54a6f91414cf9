@testable import Airlock
import Foundation
import Testing
import TestSupport

/// The offline docs: a man page per subcommand that renders cleanly and names every option the
/// parser has, and shell completions generated from the parser. The project's own: a README.md in
/// every source folder, the Apache-2.0 LICENSE, and a CHANGELOG.md with an Unreleased section.
struct DocsTests {
    static let subcommands = ["keygen", "login", "logout", "tags", "pack", "inspect", "verify", "sign", "split", "join", "push", "unpack", "extract", "diff", "serve", "status", "prune"]

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

    /// `policy` has a subcommand and no options of its own: its pages are checked here.
    @Test func policyPagesExistAndAreListed() throws {
        let command = try Self.render("airlock-policy.1")
        #expect(command.status == 0 && command.stdout.contains("airlock policy check"), "\(command.stderr)")
        let file = try Self.render("airlock-policy.5")
        for field in ["roles", "threshold", "revoked", "max-age", "images.sources", "images.cosign-keys", "images.require", "AIRLOCK_POLICY"] {
            #expect(file.stdout.contains(field), "airlock-policy(5) lacks \(field)")
        }
        let page = try Self.render("airlock.1").stdout
        #expect(page.contains("airlock-policy(1)") && page.contains("airlock-policy(5)"))
        let help = try AirlockCLI.run(["policy", "--help"])
        #expect(help.status == 0 && help.stdout.contains("check"))
    }

    @Test func airlockPageListsEveryCommandAndExitStatus() throws {
        let page = try Self.render("airlock.1").stdout
        for command in Self.subcommands { #expect(page.contains("airlock-\(command)(1)"), "\(command)") }
        for status in ExitStatus.allCases.map(\.rawValue) {
            #expect(page.range(of: "\\n\\s+\(status)\\s", options: .regularExpression) != nil, "exit status \(status)")
        }
    }

    /// One exit table (ExitStatus): airlock(1)'s EXIT STATUS section, the README's table and
    /// `airlock --help` list exactly its statuses, no more and no fewer.
    @Test func everyListOfExitStatusesIsTheOneTable() throws {
        let table = ExitStatus.allCases.map { String($0.rawValue) }
        let page = try Self.render("airlock.1").stdout
        let section = try #require(page.range(of: "EXIT STATUS\n").map { page[$0.upperBound...] })
        let end = section.range(of: "\nEXAMPLES").map { section[..<$0.lowerBound] } ?? section
        let listed = end.split(separator: "\n").filter { $0.range(of: #"^\s{7}\d+\s*$"#, options: .regularExpression) != nil || $0.range(of: #"^\s{7}\d+\s{2,}"#, options: .regularExpression) != nil }
            .compactMap { $0.split(separator: " ").first.map(String.init) }
        #expect(listed == table, "airlock(1) lists \(listed)")
        let readme = try String(contentsOf: TestPaths.repoRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let section2 = try #require(readme.range(of: "## Exit status\n").map { readme[$0.upperBound...] })
        let rows = section2.prefix(while: { _ in true }).split(separator: "\n").prefix(while: { !$0.hasPrefix("## ") })
            .compactMap { row -> String? in
                let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
                return cells.first.flatMap { Int($0) }.map(String.init)
            }
        #expect(rows == table, "the README lists \(rows)")
        let help = try AirlockCLI.run(["--help"])
        #expect(help.stdout.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "  ", with: " ").contains("141 standard output closed early"), "\(help.stdout)")
        for status in ExitStatus.allCases {
            #expect(help.stdout.replacingOccurrences(of: "\n", with: " ").range(of: "\(status.rawValue)\\s+\(status.summary.split(separator: " ")[0])", options: .regularExpression) != nil, "--help lacks \(status.rawValue)")
        }
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func completionsCoverEverySubcommand(_ shell: String) throws {
        let script = try AirlockCLI.run(["--generate-completion-script", shell])
        #expect(script.status == 0, "\(script.stderr)")
        for command in Self.subcommands { #expect(script.stdout.contains(command), "\(shell) completion lacks \(command)") }
        #expect(script.stdout.contains("progress"))
    }

    /// Every folder under Sources/ says what it owns (CONTRIBUTING.md). C shim folders (a
    /// module.modulemap or an include/ folder) are left out, with everything below them.
    @Test func everySourceFolderHasAReadme() throws {
        var folders = try Self.subfolders(of: TestPaths.repoRoot.appendingPathComponent("Sources"))
        var checked = 0
        var missing: [String] = []
        while let folder = folders.popLast() {
            let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            if names.contains("module.modulemap") || names.contains("include") { continue }
            checked += 1
            if !names.contains("README.md") { missing.append(folder.path) }
            folders += try Self.subfolders(of: folder)
        }
        #expect(checked > 10, "only \(checked) source folders found")
        #expect(missing.isEmpty, "no README.md in \(missing.sorted())")
    }

    static func subfolders(of folder: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted().compactMap { name -> URL? in
            let url = folder.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
            return url
        }
    }

    @Test func licenseIsApache2() throws {
        let license = try #require(FileManager.default.contents(atPath: TestPaths.repoRoot.appendingPathComponent("LICENSE").path), "LICENSE is missing")
        let text = String(decoding: license, as: UTF8.self)
        for line in ["Apache License", "Version 2.0, January 2004", "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION", "END OF TERMS AND CONDITIONS"] {
            #expect(text.contains(line), "LICENSE is not the Apache License 2.0: no '\(line)'")
        }
        // Debian's copy is the standard text, byte for byte.
        if let debian = FileManager.default.contents(atPath: "/usr/share/common-licenses/Apache-2.0") {
            #expect(license == debian, "LICENSE differs from /usr/share/common-licenses/Apache-2.0")
        }
    }

    @Test func changelogHasAnUnreleasedSection() throws {
        let changelog = try #require(FileManager.default.contents(atPath: TestPaths.repoRoot.appendingPathComponent("CHANGELOG.md").path), "CHANGELOG.md is missing")
        let lines = String(decoding: changelog, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.contains("## [Unreleased]"), "CHANGELOG.md has no '## [Unreleased]' heading")
    }
}
