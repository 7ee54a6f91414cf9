import OCI

extension Digest {
    /// `Digest.of` for this module's typed-throws code: a hashing failure is a library error.
    static func checked(_ bytes: [UInt8]) throws(BundleError) -> Digest {
        do {
            return try Digest.of(bytes)
        } catch {
            throw BundleError.library(error.description)
        }
    }
}
