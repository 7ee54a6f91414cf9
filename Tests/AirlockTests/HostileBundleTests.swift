import Foundation
import Testing
import TestSupport

/// The hostile-bundle corpus (scripts/bad-bundles.py) through every reader a bundle meets:
/// verify from a file and from a pipe, unpack, and push into a real registry (from a file and a pipe). Each case gets one
/// sentence and its documented status; none crashes, hangs, grows memory, writes outside the
/// target folder, or leaves anything in the registry.
@Suite(.serialized)
struct HostileBundleTests {
    struct Case: Decodable {
        let name: String
        let file: String
        let what: String
        let signed: Bool
        let status: Int32
        let phrase: String
    }

    /// Runs airlock under `timeout` and GNU time: (status, stderr, peak RSS in KiB).
    func measured(_ shell: String, in directory: String) throws -> (status: Int32, stderr: String, rssKiB: Int) {
        let rss = directory + "/rss-\(UUID().uuidString.prefix(6))"
        let result = try run("sh", ["-c", "/usr/bin/time -f %M -o '\(rss)' timeout 60 \(shell)"])
        let kib = Int((try? String(contentsOfFile: rss, encoding: .utf8))?.split(separator: "\n").last.map(String.init) ?? "") ?? 0
        return (result.status, result.stderr, kib)
    }

    static func modified(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    @Test func everyHostileBundleIsRefusedCleanly() throws {
        let work = try TestPaths.temporaryDirectory("hostile").path
        let corpus = work + "/corpus"
        let fixtures = TestPaths.repoRoot.appendingPathComponent("fixtures").path
        let made = try run("python3", [TestPaths.script("bad-bundles.py"), fixtures + "/tiny.bundle", fixtures + "/keys/test-ed25519.key", corpus])
        try #require(made.status == 0, "bad-bundles.py: \(made.stderr)")
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: URL(fileURLWithPath: corpus + "/cases.json")))
        #expect(cases.count >= 60, "the corpus has only \(cases.count) cases")
        let key = fixtures + "/keys/test-ed25519.pub"
        let airlock = "'\(AirlockCLI.path)'"
        let target = try DevRegistry.start()
        defer { target.stop() }
        let sandbox = work + "/sandbox"
        try FileManager.default.createDirectory(atPath: sandbox, withIntermediateDirectories: true)

        // Paths the corpus names as absolute entries: they must not change.
        let touchable = ["/tmp/x", "/etc/passwd"].map { ($0, Self.modified($0)) }
        for (index, item) in cases.enumerated() {
            let file = "'\(corpus)/\(item.file)'"
            let label = "\(item.name) (\(item.what))"
            let verify = try measured("\(airlock) verify \(file) --key '\(key)'", in: work)
            #expect(verify.status == item.status, "\(label): verify exit \(verify.status), expected \(item.status): \(verify.stderr)")
            #expect(verify.rssKiB < AirlockCLI.peakRSSLimitKiB, "\(label): verify peak RSS \(verify.rssKiB) KiB")
            if item.status != 0 {
                let lines = verify.stderr.split(separator: "\n")
                #expect(lines.count == 1 && lines[0].hasPrefix("airlock: "), "\(label): \(verify.stderr)")
                if !item.phrase.isEmpty { #expect(verify.stderr.lowercased().contains(item.phrase.lowercased()), "\(label): wants '\(item.phrase)': \(verify.stderr)") }
            }
            let piped = try measured("sh -c 'cat \(file) | \(airlock) verify - --key \(key)'", in: work)
            #expect((piped.status == 0) == (item.status == 0) && piped.status != 124 && piped.status < 64 && piped.status != 70,
                    "\(label): verify - exit \(piped.status): \(piped.stderr)")
            #expect(piped.rssKiB < AirlockCLI.peakRSSLimitKiB, "\(label): verify - peak RSS \(piped.rssKiB) KiB")

            let out = sandbox + "/out-\(index)"
            let unpack = try measured("\(airlock) unpack \(file) --to-dir '\(out)' --key '\(key)'", in: work)
            #expect((unpack.status == 0) == (item.status == 0) && unpack.status != 124 && unpack.status != 70,
                    "\(label): unpack exit \(unpack.status): \(unpack.stderr)")
            if unpack.status != 0 {
                #expect(!FileManager.default.fileExists(atPath: out), "\(label): a failed unpack left \(out)")
            }
            let push = try measured("\(airlock) push \(file) --to '\(target.host)/case\(index)' --key '\(key)'", in: work)
            #expect(push.status != 124 && push.status != 70 && push.status < 64, "\(label): push exit \(push.status): \(push.stderr)")
            #expect(push.rssKiB < AirlockCLI.peakRSSLimitKiB, "\(label): push peak RSS \(push.rssKiB) KiB")
            // Push reads only the frames it needs, yet refuses exactly what verify refuses.
            #expect(push.status == item.status, "\(label): push exit \(push.status), expected \(item.status): \(push.stderr)")
            if push.status != 0 {
                let lines = push.stderr.split(separator: "\n")
                #expect(lines.count == 1 && lines[0].hasPrefix("airlock: "), "\(label): push: \(push.stderr)")
            }
            let streamed = try measured("sh -c 'cat \(file) | \(airlock) push - --to \(target.host)/case\(index)/stdin --key \(key)'", in: work)
            #expect((streamed.status == 0) == (item.status == 0) && streamed.status != 124 && streamed.status < 64 && streamed.status != 70,
                    "\(label): push - exit \(streamed.status): \(streamed.stderr)")
            #expect(streamed.rssKiB < AirlockCLI.peakRSSLimitKiB, "\(label): push - peak RSS \(streamed.rssKiB) KiB")
        }

        // Nothing landed outside the unpack folders, and no failed case left a repository behind.
        let stray = try FileManager.default.contentsOfDirectory(atPath: sandbox).filter { !$0.hasPrefix("out-") }
        #expect(stray.isEmpty, "written outside the target folders: \(stray)")
        for path in ["/tmp/airlock-corpus-evil", "/tmp/airlock-corpus-pwned", work + "/evil"] {
            #expect(!FileManager.default.fileExists(atPath: path), "\(path) was written")
        }
        for (path, date) in touchable { #expect(Self.modified(path) == date, "\(path) was changed") }
        let catalog = try run("curl", ["-sf", "\(target.url)/v2/_catalog?n=1000"])
        let accepted = Set(cases.enumerated().filter { $0.element.status == 0 }.map { "case\($0.offset)" })
        let repositories = ((try? JSONSerialization.jsonObject(with: Data(catalog.stdout.utf8)) as? [String: Any])?["repositories"] as? [String]) ?? []
        // A refused bundle may leave verified blobs behind (a re-run resumes from them), never a tag.
        for repository in repositories where !accepted.contains(String(repository.prefix { $0 != "/" })) {
            let tags = try run("curl", ["-s", "\(target.url)/v2/\(repository)/tags/list"])
            let listed = ((try? JSONSerialization.jsonObject(with: Data(tags.stdout.utf8)) as? [String: Any])?["tags"] as? [String]) ?? []
            #expect(listed.isEmpty, "a refused bundle left tags \(listed) in \(repository)")
        }
    }
}
