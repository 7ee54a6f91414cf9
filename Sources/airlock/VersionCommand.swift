import ArgumentParser
import Bundle
import OCI

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print airlock's version and the libarchive, zstd and OpenSSL versions it runs with."
    )

    func run() throws {
        Output.line("airlock \(AirlockVersion.current)")
        for library in LibraryVersions.all {
            Output.line("\(library.name) \(library.version)")
        }
    }
}
