import Foundation
import Testing
import TestSupport
@testable import Airlock

/// Signed bundles whose folder artifact holds a hostile archive (scripts/hostile-folders.py)
/// through `extract`: each is refused with exit 3 and one sentence, the target folder is left as
/// it was (no staging folder, no other item of the bundle), nothing lands outside, and nothing
/// past the signed size is written before the archive is decided (a file-size limit makes any
/// such write fail loudly).
@Suite(.serialized)
struct HostileFolderTests {
    struct Case: Decodable {
        let name: String
        let file: String
        let what: String
        let phrase: String
        let status: Int32
    }

    @Test func everyHostileFolderIsRefusedAndLeavesNothing() throws {
        let work = try TestPaths.temporaryDirectory("hostile-folders").path
        let fixtures = TestPaths.repoRoot.appendingPathComponent("fixtures").path
        let key = fixtures + "/keys/test-ed25519.key", pub = fixtures + "/keys/test-ed25519.pub"
        try FileManager.default.createDirectory(atPath: work + "/release/docs", withIntermediateDirectories: true)
        try Data("read me\n".utf8).write(to: URL(fileURLWithPath: work + "/release/docs/README.md"))
        try Data("#!/bin/sh\n".utf8).write(to: URL(fileURLWithPath: work + "/release/install.sh"))
        let bundle = work + "/files.tar.zst"
        let packed = try AirlockCLI.run(["pack", "--file", work + "/release/docs", "--file", work + "/release/install.sh",
                                         "--name", "files", "--version", "1.0", "-o", bundle, "--key", key])
        try #require(packed.status == 0, "\(packed.stderr)")
        let corpus = work + "/corpus"
        let made = try run("python3", [TestPaths.script("hostile-folders.py"), bundle, key, corpus])
        try #require(made.status == 0, "hostile-folders.py: \(made.stderr)")
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: URL(fileURLWithPath: corpus + "/cases.json")))
        #expect(cases.count >= 13, "the corpus has only \(cases.count) cases")
        #expect(cases.filter { $0.status == 0 }.map(\.name) == ["benign-rebuilt"])
        #expect(cases.allSatisfy { $0.status == 0 || !$0.phrase.isEmpty }, "every refusal names its phrase")
        let passwd = try Data(contentsOf: URL(fileURLWithPath: "/etc/passwd"))

        for item in cases {
            let out = work + "/out-" + item.name
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            // 8 MiB is far over the signed sizes here and far under what any bomb declares: a
            // write past it ends the process with SIGXFSZ (status 153), never status 3.
            let result = try run("sh", ["-c", "ulimit -f 16384; exec \"$0\" \"$@\"", AirlockCLI.path,
                                        "extract", corpus + "/" + item.file, "--to-dir", out, "--key", pub])
            let left = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
            #expect(result.status == item.status, "\(item.name): \(result.stderr)")
            if item.status == 0 {
                #expect(left == ["docs", "install.sh"], "\(item.name): \(left)")
                try expectInside(out, item.name)
                continue
            }
            #expect(left.isEmpty, "\(item.name) left \(left) in the target folder")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(item.name): one sentence: \(result.stderr)")
            #expect(result.stderr.lowercased().contains(item.phrase.lowercased()), "\(item.name): \(result.stderr)")
            #expect(result.stderr.contains("nothing was written"), "\(item.name): \(result.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: "/etc/passwd")) == passwd)
        #expect(!FileManager.default.fileExists(atPath: "/tmp/airlock-hostile-folder.txt"))
        #expect(!FileManager.default.fileExists(atPath: work + "/escape.txt"))
    }

    /// Every link under `directory` resolves to a place inside it.
    func expectInside(_ directory: String, _ name: String) throws {
        let root = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
        let walker = try #require(FileManager.default.enumerator(atPath: directory))
        var count = 0
        while let relative = walker.nextObject() as? String {
            count += 1
            let resolved = URL(fileURLWithPath: directory + "/" + relative).resolvingSymlinksInPath().path
            #expect(resolved == root || resolved.hasPrefix(root + "/"), "\(name): \(relative) resolves to \(resolved)")
        }
        #expect(count >= 4, "\(name): only \(count) entries were extracted")
    }

    /// The moves into place are all or nothing: when one fails, the ones before it are undone and
    /// what `--force` had moved aside is put back, byte for byte.
    @Test(arguments: [false, true]) func aFailedMoveUndoesTheEarlierOnes(nameInTheWay: Bool) throws {
        let directory = try TestPaths.temporaryDirectory("extract-staging").path
        if nameInTheWay { try Data("old\n".utf8).write(to: URL(fileURLWithPath: directory + "/first")) }
        let staging = try ExtractStaging(in: directory, avoiding: ["first", "second"])
        try Data("new\n".utf8).write(to: URL(fileURLWithPath: staging.slot(0)))
        let moves = [ExtractStaging.Move(from: staging.slot(0), to: directory + "/first"),
                     ExtractStaging.Move(from: staging.slot(1), to: directory + "/second")]  // slot 1 was never staged
        #expect(throws: (any Error).self) { try staging.commit(moves, force: true) }
        #expect(try String(contentsOfFile: staging.slot(0), encoding: .utf8) == "new\n")
        #expect(!FileManager.default.fileExists(atPath: directory + "/second"))
        if nameInTheWay {
            #expect(try String(contentsOfFile: directory + "/first", encoding: .utf8) == "old\n")
        } else {
            #expect(!FileManager.default.fileExists(atPath: directory + "/first"))
        }
        staging.remove()
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == (nameInTheWay ? ["first"] : []))
    }

    /// Without `--force`, a name that appeared after the check is never replaced.
    @Test func aNameThatAppearedIsNotReplaced() throws {
        let directory = try TestPaths.temporaryDirectory("extract-staging").path
        let staging = try ExtractStaging(in: directory, avoiding: ["first"])
        defer { staging.remove() }
        try Data("new\n".utf8).write(to: URL(fileURLWithPath: staging.slot(0)))
        try Data("theirs\n".utf8).write(to: URL(fileURLWithPath: directory + "/first"))
        #expect(throws: AirlockError.self) { try staging.commit([.init(from: staging.slot(0), to: directory + "/first")], force: false) }
        #expect(try String(contentsOfFile: directory + "/first", encoding: .utf8) == "theirs\n")
    }
}
