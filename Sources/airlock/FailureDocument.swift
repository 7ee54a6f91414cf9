import Airlock
import ArgumentParser
import Foundation

/// A command that can answer in JSON (`--json`).
protocol JSONReporting {
    var json: Bool { get }
}

extension TagsCommand: JSONReporting {}
extension PackCommand: JSONReporting {}
extension VerifyCommand: JSONReporting {}
extension DiffCommand: JSONReporting {}
extension InspectCommand: JSONReporting {}
extension PushCommand: JSONReporting {}
extension ExtractCommand: JSONReporting {}
extension StatusCommand: JSONReporting {}
extension PruneCommand: JSONReporting {}
extension UnpackCommand: JSONReporting {}

/// What a `--json` command writes to stdout when it fails before its own document
/// (format-spec/json/failure.schema.json): the sentence stderr gets, and the exit status.
struct FailureDocument: Encodable {
    let error: String
    let status: Int32
    /// The status in words, as `airlock --help` lists them.
    let meaning: String

    init(_ sentence: String, status: ExitStatus) {
        error = sentence
        self.status = status.rawValue
        meaning = status.summary
    }

    /// Writes the document when the command was asked for JSON (or, when parsing failed, its
    /// arguments hold --json) and has not written one yet.
    static func writeIfWanted(_ sentence: String, status: ExitStatus, command: (any ParsableCommand)?) {
        let wanted = (command as? any JSONReporting)?.json ?? CommandLine.arguments.dropFirst().contains("--json")
        guard wanted, !Output.documentWritten else { return }
        try? Output.json(FailureDocument(sentence, status: status))
    }
}
