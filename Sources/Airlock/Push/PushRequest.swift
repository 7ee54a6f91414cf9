import Bundle
import Foundation
import Logging
import NIOCore
import OCI
import Registry

public struct PushRequest: Sendable {
    public var bundle: String
    public var keys: [PublicKey]
    public var naming: TargetNaming
    public var concurrency: Int
    public var failFast: Bool
    public var pullHost: String?
    /// Where bytes sent and images pushed are reported.
    public var progress = TransferProgress()
    /// `--cosign-key`: re-check from the bundle that every image carries a cosign signature by one of these.
    public var cosignKeys: [PublicKey] = []
    /// `--allow-downgrade`: push a bundle older than (or unordered against) a recorded one; the record notes it.
    public var allowDowngrade = false
    public var onExistingTag = ExistingTagPolicy.overwrite

    public init(bundle: String, keys: [PublicKey], naming: TargetNaming, concurrency: Int = 4, failFast: Bool = false, pullHost: String? = nil) {
        self.bundle = bundle
        self.keys = keys
        self.naming = naming
        self.concurrency = concurrency
        self.failFast = failFast
        self.pullHost = pullHost
    }
}
