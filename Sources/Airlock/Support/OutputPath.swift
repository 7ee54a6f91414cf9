import Bundle
import Foundation

/// The one check of an output path, made before anything is fetched or pushed: its folder exists
/// and is writable, it is not a directory, and an existing file there is one this kind of
/// output may replace (its own kind, a bundle excepted, or anything with `force`) — never a
/// private key.
public enum OutputPath {
    public static func check(_ path: String, kind: OutputKind, force: Bool = false, option: String) throws(AirlockError) {
        guard !path.isEmpty else { throw AirlockError.usage("\(option) needs a path") }
        let folder = parentFolder(of: path)
        // A directory output is made with its missing parents (mkdir -p); a file needs its folder.
        try checkFolder(kind == .directory ? try nearestExisting(folder) : folder, for: path)
        var info = stat()
        guard lstat(path, &info) == 0 else {
            guard errno == ENOENT else { throw AirlockError.io(BundleError.system("check", path).description) }
            return
        }
        let isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
        if kind == .directory {
            guard isDirectory else { throw AirlockError.io("\(path) exists and is not a directory (\(option) names a directory to create)") }
            return
        }
        if isDirectory { throw AirlockError.io("\(path) is a directory; \(option) names a file to write") }
        let prefix = try readPrefix(path)
        if holdsPrivateKey(prefix) {
            throw AirlockError.io("\(path) holds a private key; airlock never replaces a key, even with --force (choose another \(option))")
        }
        if kind == .key {
            throw AirlockError.io("\(path) already exists; airlock never replaces a key file (remove it or choose another \(option))")
        }
        if force { return }
        // A bundle is never replaced without --force: it may carry countersignatures a new one lacks.
        if kind == .bundle, isOwn(kind, prefix) {
            throw AirlockError.io("\(path) is already a bundle; airlock replaces a bundle only with --force (its signatures, countersignatures included, would be lost), or choose another \(option)")
        }
        if isOwn(kind, prefix) { return }
        throw AirlockError.io("\(path) exists and is not \(kind.noun); pass --force to replace it, or choose another \(option)")
    }

    /// `path` or its closest ancestor that exists.
    private static func nearestExisting(_ path: String) throws(AirlockError) -> String {
        var candidate = path
        var info = stat()
        while lstat(candidate, &info) != 0 {
            guard errno == ENOENT else { throw AirlockError.io(BundleError.system("check", candidate).description) }
            let up = parentFolder(of: candidate)
            if up == candidate { break }
            candidate = up
        }
        return candidate
    }

    private static func checkFolder(_ folder: String, for path: String) throws(AirlockError) {
        var info = stat()
        guard stat(folder, &info) == 0 else {
            if errno == ENOENT { throw AirlockError.io("cannot write \(path): the folder \(folder) does not exist") }
            throw AirlockError.io(BundleError.system("use folder", folder).description)
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { throw AirlockError.io("cannot write \(path): \(folder) is not a folder") }
        guard access(folder, W_OK) == 0 else {
            throw AirlockError.io("cannot write \(path): the folder \(folder) is not writable (permission denied)")
        }
        // /proc, /sys and the like answer W_OK for root but hold no files (and report no blocks).
        var space = statvfs()
        if statvfs(folder, &space) == 0, space.f_blocks == 0 {
            throw AirlockError.io("cannot write \(path): \(folder) is on a virtual file system (such as /proc or /sys) that holds no files; choose a folder on a disk")
        }
    }

    /// Enough of the file to recognise it (a kustomization or mapping airlock wrote is small).
    private static func readPrefix(_ path: String) throws(AirlockError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw AirlockError.io(BundleError.system("read", path).description) }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 1 << 20)
        var count = 0
        while count < bytes.count {
            let read = bytes.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress?.advanced(by: count), $0.count - count) }
            if read < 0, errno == EINTR { continue }
            guard read >= 0 else { throw AirlockError.io(BundleError.system("read", path).description) }
            if read == 0 { break }
            count += read
        }
        return Array(bytes.prefix(count))
    }

    static func holdsPrivateKey(_ bytes: [UInt8]) -> Bool {
        String(decoding: bytes, as: UTF8.self).contains("PRIVATE KEY-----")
    }

    static func isOwn(_ kind: OutputKind, _ bytes: [UInt8]) -> Bool {
        switch kind {
        case .bundle: return SignatureSlot.startsBundle(bytes)
        case .mapping: return isMapping(bytes)
        case .kustomization: return isKustomization(bytes)
        case .mirrorConfig: return String(decoding: bytes.prefix(MirrorConfig.marker.utf8.count), as: UTF8.self) == MirrorConfig.marker || isKustomization(bytes)
        case .key, .directory: return false
        }
    }

    /// `{"images": [{source, target, targetByDigest, pull, pullByDigest}], "evidence": […]}` and nothing else.
    static func isMapping(_ bytes: [UInt8]) -> Bool {
        let keys: Set<String> = ["source", "target", "targetByDigest", "pull", "pullByDigest"]
        guard let top = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
              Set(top.keys).isSubset(of: ["images", "evidence"]),
              let images = top["images"] as? [[String: Any]] else { return false }
        return images.allSatisfy { Set($0.keys).isSubset(of: keys) }
    }

    /// `images:` then only `- name:`, `  newName:` and `  digest:` lines, as push writes them.
    static func isKustomization(_ bytes: [UInt8]) -> Bool {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        guard lines.first == "images:" else { return false }
        return lines.dropFirst().allSatisfy { line in
            ["- name: ", "  newName: ", "  digest: "].contains { line.hasPrefix($0) }
        }
    }
}
