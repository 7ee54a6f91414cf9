/// A bundle that does not meet its trust policy: every rule, and one line per unmet one
/// (exit status 3, as any verification failure).
public struct PolicyViolation: Error, Sendable, CustomStringConvertible {
    public let bundle: String
    public let report: PolicyReport

    public init(bundle: String, report: PolicyReport) {
        self.bundle = bundle
        self.report = report
    }

    public var description: String {
        let unmet = report.unmet
        let lines = unmet.map { "  \($0.detail)" }.joined(separator: "\n")
        return "\(bundle) does not meet the policy \(report.policy) (\(unmet.count) of \(report.rules.count) rules unmet):\n\(lines)"
    }
}
