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

    func extract(_ path: String) throws -> String {
        let target = try TestPaths.temporaryDirectory("gziptar-out").path
        let handle = try #require(FileHandle(forReadingAtPath: path))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 16)
        defer { buffer.deallocate() }
        try GzipTar.extract({
            let chunk = try handle.read(upToCount: buffer.count) ?? Data()
            chunk.copyBytes(to: buffer)
            return UnsafeRawBufferPointer(rebasing: buffer[..<chunk.count])
        }, into: target, root: "docs")
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
    ])
    func anEntryLeavingTheFolderIsRefused(_ entries: [(String, String, String)]) throws {
        let path = try archive(entries)
        #expect(throws: BundleError.self) { _ = try extract(path) }
    }
}
