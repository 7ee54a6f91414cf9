import Bundle
import Foundation
import OCI
import Registry

/// What push does with a tag that already names another manifest (`--on-existing-tag`).
/// Harbor, Artifactory, Quay and ECR can make tags immutable and answer an error on re-tagging.
public enum ExistingTagPolicy: String, Sendable, CaseIterable {
    /// Refuse the push before any write, naming the tags.
    case fail
    /// Push the image by digest and leave the tag as it is; report whether it names the same digest.
    case skip
    /// Move the tag (reported as moved).
    case overwrite
}
