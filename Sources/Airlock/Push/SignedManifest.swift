import Bundle
import Foundation
import OCI
import Registry

/// The signed front of a bundle: the exact manifest bytes and the signatures over them.
struct SignedManifest: Sendable {
    let bytes: [UInt8]
    let signatures: [BundleSignature]

    func digest() throws -> Digest { try Digest.of(bytes) }
}
