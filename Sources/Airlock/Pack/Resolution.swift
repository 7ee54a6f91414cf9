/// What one pattern resolved to.
public struct Resolution: Sendable {
    /// Newest first.
    public let tags: [ResolvedTag]
    /// Terms of the pattern that matched no tag, as `REG/REPO:TERM` (others did match).
    public let unmatched: [String]
}
