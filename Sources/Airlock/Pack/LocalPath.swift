/// A local path to pack: where it is, how the user wrote it, and (files only) the name to give it.
public struct LocalPath: Sendable, Hashable {
    public let path: String
    public let shown: String
    public let name: String?

    public init(path: String, shown: String? = nil, name: String? = nil) {
        self.path = path
        self.shown = shown ?? path
        self.name = name
    }
}
