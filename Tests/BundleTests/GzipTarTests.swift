import Bundle
import Foundation
import Testing
import TestSupport

/// A folder archive from a bundle is written only inside its own folder, whatever its entries say
/// (the archives are made with Python's tarfile, independently of airlock's writer).
struct GzipTarTests {
    /// Writes a tar.gz whose entries are (name, type, link target or content).
    func archive(_ entries: [(String, String, String)]) throws -> String {
        let directory = try TestPaths.temporaryDirectory("gziptar")
        let path = directory.appendingPathComponent("layer.tar.gz").path
        let script = """
            import io, json, sys, tarfile
            with tarfile.open(sys.argv[1], "w:gz") as tar:
                for name, kind, value in json.loads(sys.argv[2]):
                    info = tarfile.TarInfo(name)
                    if kind == "dir": info.type = tarfile.DIRTYPE
                    elif kind == "link": info.type = tarfile.SYMTYPE; info.linkname = value
                    elif kind == "hard": info.type = tarfile.LNKTYPE; info.linkname = value
                    data = value.encode() if kind == "file" else b""
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
            """
        let json = String(decoding: try JSONSerialization.data(withJSONObject: entries.map { [$0.0, $0.1, $0.2] }), as: UTF8.self)
        let made = try run("python3", ["-c", script, path, json])
        guard made.status == 0 else { throw TestError("python: \(made.stderr)") }
        return path
    }

    /// Decides the archive whole, then writes it (what extract does once the blob's digest is proven).
    func extract(_ path: String, maximumBytes: Int64 = 1 << 20) throws -> String {
        let target = try TestPaths.temporaryDirectory("gziptar-out").path
        let archive = try FolderArchive.decide(path, root: "docs", maximumBytes: maximumBytes)
        try archive.extract(from: path, into: target)
        return target
    }

    @Test func aPlainFolderComesBack() throws {
        let target = try extract(try archive([("docs", "dir", ""), ("docs/a.txt", "file", "hello"), ("docs/sub", "dir", ""),
                                             ("docs/sub/b", "file", "b"), ("docs/link", "link", "sub/b")]))
        #expect(try String(contentsOfFile: target + "/docs/a.txt", encoding: .utf8) == "hello")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: target + "/docs/link") == "sub/b")
    }

    @Test(arguments: [
        [("docs", "dir", ""), ("docs/../escape", "file", "x")],
        [("other/x", "file", "x")],
        [("/etc/x", "file", "x")],
        [("docs", "dir", ""), ("docs/up", "link", "../outside")],
        [("docs", "dir", ""), ("docs/abs", "link", "/etc/passwd")],
        [("docs", "dir", ""), ("docs/here", "link", "."), ("docs/here/x", "file", "written through a link")],
        [("docs", "dir", ""), ("docs/l", "link", "a"), ("docs/l", "file", "replaces the link")],
        [("docs", "dir", ""), ("docs/a", "link", "."), ("docs/b", "link", "a/../x")],
        [("docs", "dir", ""), ("docs/h", "hard", "docs/x")],
        // A link resolved through a link made later: decided on the whole folder, not in order.
        [("docs", "dir", ""), ("docs/A", "link", "B/B/B/../../../../etc/passwd"), ("docs/B", "link", ".")],
        [("docs", "dir", ""), ("docs/A", "link", "B/x"), ("docs/B", "link", "../..")],
        [("docs", "dir", ""), ("docs/A", "link", "B"), ("docs/B", "link", "A")],
        // The same name twice: the last copy would win.
        [("docs", "dir", ""), ("docs/a.txt", "file", "good"), ("docs/a.txt", "file", "EVIL")],
    ])
    func anEntryLeavingTheFolderIsRefused(_ entries: [(String, String, String)]) throws {
        let path = try archive(entries)
        let target = try TestPaths.temporaryDirectory("gziptar-refused").path
        #expect(throws: BundleError.self) { _ = try FolderArchive.decide(path, root: "docs", maximumBytes: 1 << 20) }
        // Refused before a byte is written: nothing appears where it would have gone.
        #expect(try FileManager.default.contentsOfDirectory(atPath: target).isEmpty)
    }

    /// Links that resolve inside the folder through other links are kept, whatever their order.
    @Test func linksThroughLinksInsideTheFolderAreKept() throws {
        let target = try extract(try archive([("docs", "dir", ""), ("docs/A", "link", "B/sub/f"), ("docs/B", "link", "."),
                                              ("docs/sub", "dir", ""), ("docs/sub/f", "file", "x")]))
        #expect(try String(contentsOfFile: target + "/docs/A", encoding: .utf8) == "x")
    }

    /// Files declaring more than the bound are refused before anything is written.
    @Test func declaredBytesOverTheBoundAreRefused() throws {
        let path = try archive([("docs", "dir", ""), ("docs/big", "file", String(repeating: "z", count: 4096))])
        #expect(throws: BundleError.self) { _ = try FolderArchive.decide(path, root: "docs", maximumBytes: 4095) }
        #expect(try FolderArchive.decide(path, root: "docs", maximumBytes: 4096).declaredBytes == 4096)
    }
}
