import Yams

/// A YAML syntax error in words a user can act on: what is wrong and where, as line and column,
/// instead of libyaml's own report with its caret snippet.
enum YAMLProblem {
    /// "SOURCE is not valid YAML: PROBLEM at line L, column C (while CONTEXT at line …)".
    static func describe(_ error: any Error, source: String) -> String {
        guard let error = error as? YamlError else {
            return "\(source) is not valid YAML: \(String(describing: error).split(separator: "\n").first ?? "")"
        }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            let during = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return "\(source) is not valid YAML: \(problem) at line \(mark.line), column \(mark.column)\(during)"
        case let .reader(problem, offset, _, yaml):
            let place = offset.flatMap { yaml.lineAndColumn(at: $0) }.map { " at line \($0.line), column \($0.column)" } ?? ""
            return "\(source) is not valid YAML: \(problem)\(place) (it must be UTF-8 text)"
        case .dataCouldNotBeDecoded:
            return "\(source) is not UTF-8 text"
        default:
            return "\(source) is not valid YAML: \(String(describing: error).split(separator: "\n").first ?? "")"
        }
    }
}

private extension String {
    /// 1-based line and column of the byte at `offset` of the UTF-8 text.
    func lineAndColumn(at offset: Int) -> (line: Int, column: Int)? {
        let bytes = Array(utf8)
        guard offset >= 0, offset <= bytes.count else { return nil }
        let before = bytes[..<offset]
        let line = before.count(where: { $0 == UInt8(ascii: "\n") }) + 1
        let start = before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        return (line, String(decoding: bytes[start..<offset], as: UTF8.self).unicodeScalars.count + 1)
    }
}
