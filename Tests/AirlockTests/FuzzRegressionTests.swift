import Foundation
import Testing
import TestSupport

/// Every input that ever crashed a fuzz target (scripts/fuzz.sh), plus the hostile corpus, replayed
/// through the same entry points: each must be rejected or accepted, never crash.
struct FuzzRegressionTests {
    static let targets = ["bundle", "manifest", "challenge", "reference", "folder-tar", "seek-table"]
    static let folder = TestPaths.repoRoot.appendingPathComponent("Tests/FuzzRegressions")

    static var replayer: String {
        URL(fileURLWithPath: AirlockCLI.path).deletingLastPathComponent().appendingPathComponent("airlock-fuzz").path
    }

    @Test(arguments: targets)
    func savedInputsDoNotCrash(_ target: String) throws {
        let directory = Self.folder.appendingPathComponent(target).path
        let inputs = try FileManager.default.contentsOfDirectory(atPath: directory).filter { !$0.hasPrefix(".") && $0 != "README.md" }.sorted()
        #expect(!inputs.isEmpty, "no saved inputs for \(target)")
        let result = try run("timeout", ["120", Self.replayer, target] + inputs.map { directory + "/" + $0 })
        #expect(result.status == 0, "\(target): status \(result.status)\n\(result.stderr.suffix(2000))")
    }

    /// A target's folder that the list above leaves out would never be replayed.
    @Test func everyFolderIsReplayed() throws {
        var isDirectory: ObjCBool = false
        let folders = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter {
            FileManager.default.fileExists(atPath: Self.folder.appendingPathComponent($0).path, isDirectory: &isDirectory) && isDirectory.boolValue
        }
        #expect(Set(folders) == Set(Self.targets))
    }
}
