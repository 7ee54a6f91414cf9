import Foundation
import Testing
import TestSupport

/// Every input that ever crashed a fuzz target (scripts/fuzz.sh), plus the hostile corpus, replayed
/// through the same entry points: each must be rejected or accepted, never crash.
struct FuzzRegressionTests {
    static let targets = ["bundle", "manifest", "challenge", "reference"]

    static var replayer: String {
        URL(fileURLWithPath: AirlockCLI.path).deletingLastPathComponent().appendingPathComponent("airlock-fuzz").path
    }

    @Test(arguments: targets)
    func savedInputsDoNotCrash(_ target: String) throws {
        let directory = TestPaths.repoRoot.appendingPathComponent("Tests/FuzzRegressions/\(target)").path
        let inputs = try FileManager.default.contentsOfDirectory(atPath: directory).filter { !$0.hasPrefix(".") && $0 != "README.md" }.sorted()
        #expect(!inputs.isEmpty, "no saved inputs for \(target)")
        let result = try run("timeout", ["120", Self.replayer, target] + inputs.map { directory + "/" + $0 })
        #expect(result.status == 0, "\(target): status \(result.status)\n\(result.stderr.suffix(2000))")
    }
}
