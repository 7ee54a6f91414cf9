extension FolderArchive {
    /// The most links one path may pass through (Linux's own limit for a lookup).
    static let maximumHops = 40

    /// Every entry lies below no link, and every link resolves inside the folder, following the
    /// folder's other links as the file system would: decided on the whole folder, so the order
    /// of the entries cannot matter.
    func checkLinks() throws(BundleError) {
        var links: [String: String] = [:]
        for entry in entries { if case .link(let target) = entry.kind { links[entry.name] = target } }
        guard !links.isEmpty else { return }
        for entry in entries {
            let parts = entry.name.split(separator: "/").map(String.init)
            for depth in 1..<max(parts.count, 1) where links[parts[..<depth].joined(separator: "/")] != nil {
                throw .verification("the folder \(root) holds '\(entry.name)' below the symbolic link '\(parts[..<depth].joined(separator: "/"))'")
            }
        }
        for (name, target) in links.sorted(by: { $0.key < $1.key }) {
            let base = Array(name.split(separator: "/").map(String.init).dropLast())
            guard !target.isEmpty, !target.hasPrefix("/"), let path = resolved(base, target, links: links), path.first == root else {
                throw .verification("the folder \(root) holds a link '\(name)' to '\(target)', which points outside it (its other links followed)")
            }
        }
    }

    /// The components `target` resolves to from the folder `base`, every link of the folder met on
    /// the way substituted; nil when it leaves the root folder, is absolute, or loops.
    func resolved(_ base: [String], _ target: String, links: [String: String], depth: Int = 0) -> [String]? {
        guard depth <= Self.maximumHops, !target.hasPrefix("/") else { return nil }
        var path = base
        for component in target.split(separator: "/").map(String.init) {
            switch component {
            case ".", "":
                continue
            case "..":
                guard path.count > 1 else { return nil }  // never above the root folder
                path.removeLast()
            default:
                path.append(component)
                if let next = links[path.joined(separator: "/")] {
                    path.removeLast()
                    guard let inner = resolved(path, next, links: links, depth: depth + 1) else { return nil }
                    path = inner
                }
            }
            guard path.first == root else { return nil }
        }
        return path
    }
}
