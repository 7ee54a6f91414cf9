import Foundation
import OCI

extension FileOutput {
    /// Moves parts written under a temporary name into place as `bundle.001`, … and writes
    /// `bundle.parts` last; parts an earlier, longer split left behind are removed first.
    /// Returns the parts' paths.
    func placeParts(as bundle: String, manifestDigest: Digest) throws(BundleError) -> [String] {
        let table = try partsTable(manifestDigest: manifestDigest)
        for number in stride(from: paths.count + 1, through: PartsTable.maxParts, by: 1) {
            let stale = PartsTable.partPath(bundle, number)
            guard unlink(stale) == 0 else {
                if errno == ENOENT { break }
                throw BundleError.system("remove", stale)
            }
        }
        var placed: [String] = []
        for (index, path) in paths.enumerated() {
            let target = PartsTable.partPath(bundle, index + 1)
            guard rename(path, target) == 0 else { throw BundleError.system("move a part to", target) }
            placed.append(target)
        }
        try table.write(bundle: bundle)
        return placed
    }
}
