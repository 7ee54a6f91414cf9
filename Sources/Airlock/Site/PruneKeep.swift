import Bundle
import Foundation
import OCI
import Registry

/// Which recorded bundles `prune` keeps.
public enum PruneKeep: Sendable {
    /// `--keep NAME@VERSION…`: exactly these.
    case bundles([(name: String, version: String)])
    /// `--keep-last N`: the N newest bundles (`BundleOrder`) of each bundle name.
    case last(Int)
}
