import ArgumentParser
import Bundle
import OCI

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print airlock's version, the commit and Swift toolchain it was built from, and the libarchive, zstd and OpenSSL versions it runs with."
    )

    func run() throws {
        Output.line("airlock \(AirlockVersion.current)")
        Output.line("commit \(AirlockVersion.commit)")
        Output.line("Swift \(AirlockVersion.swift)")
        for library in LibraryVersions.all {
            Output.line("\(library.name) \(library.version)")
        }
    }
}
