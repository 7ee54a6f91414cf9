import Foundation
import OCI

/// A folder artifact's archive (tar+gzip, as `oras push` makes it), decided whole before a byte
/// of it is written: every entry is `root` or below it with no `.`, `..` or empty component,
/// appears once, is a folder, a regular file or a symbolic link (no hard links, devices or
/// fifos), and lies below no link; every link, followed through the folder's other links,
/// resolves inside the folder; and the sizes the entries declare add up to at most a bound the
/// caller sets from signed data. Only then does `extract` write it, reading the archive again.
public struct FolderArchive: Sendable {
    public enum Kind: Sendable, Equatable {
        case directory
        case file(size: Int64, executable: Bool)
        case link(target: String)
    }

    public struct Entry: Sendable, Equatable {
        /// `root/…`, without a trailing `/`.
        public let name: String
        public let kind: Kind
    }

    public let root: String
    public let entries: [Entry]
    /// What the regular files declare, in bytes (what `extract` writes).
    public var declaredBytes: Int64 {
        entries.reduce(0) { total, entry in if case .file(let size, _) = entry.kind { return total + size } else { return total } }
    }

    /// Lists and decides the archive at `path` (its digest already proven); writes nothing.
    public static func decide(_ path: String, root: String, maximumBytes: Int64) throws -> FolderArchive {
        var entries: [Entry] = []
        var names: Set<String> = []
        var declared: Int64 = 0
        try each(in: path) { entry, _ in
            let name = try checkedName(entry.name, root: root)
            guard names.insert(name).inserted else {
                throw BundleError.verification("the folder \(root) holds '\(name)' twice (the last copy would silently win)")
            }
            let kind: Kind
            if entry.isDirectory {
                kind = .directory
            } else if entry.isRegularFile {
                declared += max(entry.size, 0)
                guard declared <= maximumBytes else {
                    throw BundleError.verification("the folder \(root) declares more than \(maximumBytes) bytes of files, more than its signed compressed size allows")
                }
                kind = .file(size: entry.size, executable: entry.permissions & 0o111 != 0)
            } else if let target = entry.symlinkTarget {
                kind = .link(target: target)
            } else {
                throw BundleError.verification("the folder \(root) holds '\(entry.name)', a \(entry.typeDescription); extract writes only files, folders and links")
            }
            entries.append(Entry(name: name, kind: kind))
        }
        guard names.contains(root) || entries.contains(where: { $0.name.hasPrefix(root + "/") }) else {
            throw BundleError.verification("the folder \(root) is empty")
        }
        let archive = FolderArchive(root: root, entries: entries)
        try archive.checkLinks()
        return archive
    }

    /// Writes the decided entries under `directory` (which must exist), reading the archive
    /// again; an entry that is not the one decided is refused.
    public func extract(from path: String, into directory: String) throws {
        var index = 0
        try Self.each(in: path) { entry, reader in
            guard index < entries.count, entries[index].name == (try Self.checkedName(entry.name, root: root)) else {
                throw BundleError.verification("the folder \(root) changed while it was extracted")
            }
            let decided = entries[index]
            index += 1
            let target = directory + "/" + decided.name
            switch decided.kind {
            case .directory:
                guard mkdir(target, 0o755) == 0 || (errno == EEXIST && Self.isDirectory(target)) else { throw BundleError.system("create the directory", target) }
            case .file(let size, let executable):
                try Self.write(reader, size: size, to: target)
                guard chmod(target, executable ? 0o755 : 0o644) == 0 else { throw BundleError.system("set the mode of", target) }
            case .link(let destination):
                guard Foundation.symlink(destination, target) == 0 else { throw BundleError.system("create the link", target) }
            }
        }
    }

    /// `root/a/b` for `root/a/b/`; refused when outside `root` or with `.`, `..` or empty parts.
    static func checkedName(_ raw: String, root: String) throws(BundleError) -> String {
        let name = raw.hasSuffix("/") ? String(raw.dropLast()) : raw
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.first.map(String.init) == root, !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
            throw BundleError.verification("the folder \(root) holds an entry '\(raw)' outside it")
        }
        return name
    }

    /// Writes exactly `size` bytes of the current entry; more or fewer is refused.
    static func write(_ reader: TarReader, size: Int64, to path: String) throws {
        let output = try FileOutput(creating: path)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var written: Int64 = 0
        while true {
            let count = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
            if count == 0 { break }
            written += Int64(count)
            guard written <= size else { throw BundleError.verification("\(path) holds more bytes than its entry declares") }
            try buffer.withUnsafeBytes { try output.write(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        }
        guard written == size else { throw BundleError.verification("\(path) holds fewer bytes than its entry declares") }
        try output.sync()
    }

    /// Runs `body` for every entry of the gzip'd tar at `path`.
    static func each(in path: String, _ body: (TarReader.Entry, TarReader) throws -> Void) throws {
        try GzipTar.withReader(ofFile: path) { reader in
            while let entry = try reader.next() { try body(entry, reader) }
        }
    }

    static func isDirectory(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR
    }
}
