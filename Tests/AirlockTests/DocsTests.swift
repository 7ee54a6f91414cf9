import Foundation
import Testing
import TestSupport

/// The offline docs: a man page per subcommand that renders cleanly and names every option the
/// parser has, and shell completions generated from the parser. The project's own: a README.md in
/// every source folder, the Apache-2.0 LICENSE, and a CHANGELOG.md with an Unreleased section.
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
