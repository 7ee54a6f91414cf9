import Bundle
import Foundation
import Logging
import NIOCore
import OCI
import Registry

public struct PushRequest: Sendable {
    public var bundle: String
    public var trust: Trust
    public var naming: TargetNaming
    public var concurrency: Int
    public var failFast: Bool
    public var pullHost: String?
    /// Where bytes sent and images pushed are reported.
    public var progress = TransferProgress()
    /// `--cosign-key`: re-check from the bundle that every image carries a cosign signature by one of these.
    public var cosignKeys: [PublicKey] = []

    /// `--cosign-key` and the policy's `images.cosign-keys`: every image needs a signature by one.
    var requiredCosignKeys: [PublicKey] { cosignKeys + (trust.policy?.images.cosignKeys ?? []) }
    /// `--allow-downgrade`: push a bundle older than (or unordered against) a recorded one; the record notes it.
    public var allowDowngrade = false
    /// Push a bundle whose name and version the ledger records with another manifest.
    public var allowReplace = false
    public var onExistingTag = ExistingTagPolicy.overwrite

    public init(bundle: String, trust: Trust, naming: TargetNaming, concurrency: Int = 4, failFast: Bool = false, pullHost: String? = nil) {
        self.bundle = bundle
        self.trust = trust
        self.naming = naming
        self.concurrency = concurrency
        self.failFast = failFast
        self.pullHost = pullHost
    }
}
