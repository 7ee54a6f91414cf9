import Foundation
import OCI

/// `airlock join`: writes the parts of a split bundle as one file, checking each part against
/// the table and the whole bundle as `verify` does while the bytes pass; the file appears at
/// `output` only when everything checked.
public enum BundleJoiner {
    public static func join(_ bundle: String, to output: String, trust: Trust) throws -> VerificationReport {
        let input = try BundleInput.open(bundle)
        let temporary = output + ".airlock-join"
        let file = try FileOutput(creating: temporary)
        do {
            let report = try BundleVerifier(trust: trust).verify(input: input, onRead: { try file.write($0) })
            try file.sync()
            guard rename(temporary, output) == 0 else { throw BundleError.system("move the bundle to", output) }
            return report
        } catch {
            unlink(temporary)
            throw error
        }
    }
}
