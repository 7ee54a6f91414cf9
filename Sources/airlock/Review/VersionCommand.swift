import ArgumentParser
import Bundle
import Foundation
import OCI

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print airlock's version, the commit and Swift toolchain it was built from, and the libarchive, zstd and OpenSSL versions it runs with."
    )

    func run() throws {
        Output.line("airlock \(AirlockVersion.current)")
        Output.line("commit \(Self.developmentCommit() ?? AirlockVersion.commit)")
        Output.line("Swift \(AirlockVersion.swift)")
        for library in LibraryVersions.all {
            Output.line("\(library.name) \(library.version)")
        }
    }

    /// A development build (no commit stamped by scripts/package.sh) run from the clone it was
    /// built in: that clone's commit, as git reports it now; nil when there is no such clone.
    static func developmentCommit() -> String? {
        guard AirlockVersion.commit.hasPrefix("unknown") else { return nil }
        // This file's path when it was compiled: Sources/airlock/Review/ under the clone.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: root + "/.git"),
              let commit = git(["-C", root, "rev-parse", "--short=12", "HEAD"]), !commit.isEmpty else { return nil }
        let changed = git(["-C", root, "status", "--porcelain", "--untracked-files=no"]).map { !$0.isEmpty } ?? false
        return "\(commit)\(changed ? " with uncommitted changes" : "") (development build from \(root))"
    }

    /// git's trimmed output, or nil when git is missing or fails (bounded: git answers at once here).
    private static func git(_ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data.prefix(64 << 10), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
