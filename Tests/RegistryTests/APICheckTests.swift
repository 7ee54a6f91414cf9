import NIOHTTP1
@testable import Registry
import Testing

/// What counts as a registry's answer to GET /v2/ (`RegistryClient.notARegistry`): one rule for
/// every command, since each one's first request goes through it.
struct APICheckTests {
    static let api = ("Docker-Distribution-API-Version", "registry/2.0")
    static let bearer = AuthChallenge.parse(#"Bearer realm="https://auth.example/token",service="r""#)

    @Test(arguments: [
        // status, headers, challenged, verdict (nil: a registry)
        (200, [api, ("Content-Type", "application/json")], false, nil),
        (200, [api], false, nil),
        (404, [api], false, nil),  // odd, but it says it is one
        (200, [("Content-Type", "application/json; charset=utf-8")], false, nil),
        (200, [], false, nil),
        (401, [("Content-Type", "text/html")], true, nil),  // a challenge is a registry's
        (401, [("Content-Type", "application/json")], false, nil),
        (403, [], false, nil),
        (404, [("Content-Type", "text/html")], false, "404 text/html"),
        (404, [], false, "404"),
        (200, [("Content-Type", "text/html; charset=utf-8")], false, "200 text/html"),
        (401, [("Content-Type", "text/html")], false, "401 text/html"),
        (403, [("Content-Type", "text/html")], false, "403 text/html"),
        (302, [], false, "302"),
        (503, [("Content-Type", "text/html")], false, nil),  // failing, not foreign: its status says so
        (429, [], false, nil),
        (418, [("Content-Type", "TEXT/HTML")], false, "418 text/html"),
    ] as [(Int, [(String, String)], Bool, String?)])
    func answers(status: Int, headers: [(String, String)], challenged: Bool, verdict: String?) {
        let found = RegistryClient.notARegistry(status, headers: HTTPHeaders(headers), challenges: challenged ? Self.bearer : [])
        #expect(found == verdict, "\(status) \(headers)")
    }
}

/// The chunk sizes an upload falls back to when a body is refused (`UploadMode.smaller`), and how a
/// proxy's HTML refusal is quoted.
struct UploadFallbackTests {
    static let mib = 1 << 20

    @Test(arguments: [
        // from, blob size, next (nil: nothing smaller to try)
        (UploadMode.monolithic, Int64(64 << 20), UploadMode?.some(.chunked(16 << 20))),
        (.monolithic, Int64(16 << 20), .chunked(8 << 20)),  // a chunk as large as the refused body would fail alike
        (.monolithic, Int64(3 << 20), .chunked(2 << 20)),
        (.monolithic, Int64(1 << 20) + 1, .chunked(1 << 20)),
        (.monolithic, Int64(1 << 20), nil),
        (.monolithic, 500, nil),
        (.chunked(16 << 20), Int64(64 << 20), .chunked(8 << 20)),
        (.chunked(2 << 20), Int64(64 << 20), .chunked(1 << 20)),
        (.chunked(1 << 20), Int64(64 << 20), nil),
        (.chunked(3 << 20), Int64(64 << 20), .chunked(1_572_864)),
    ] as [(UploadMode, Int64, UploadMode?)])
    func halving(from: UploadMode, size: Int64, next: UploadMode?) {
        #expect(from.smaller(forBlobOf: size) == next, "\(from), \(size)")
    }

    @Test func proxyPagesAreQuotedByTheirTitle() {
        let nginx = Array("<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>…</body></html>".utf8)
        #expect(RegistryErrorBody.summary(nginx) == "an HTML page: 413 Request Entity Too Large")
        let json = Array(#"{"errors":[{"code":"NAME_UNKNOWN","message":"project newproj not found"}]}"#.utf8)
        #expect(RegistryErrorBody.summary(json) == "NAME_UNKNOWN: project newproj not found")
        #expect(RegistryErrorBody.summary(Array("<html><TITLE>\n</TITLE>gateway".utf8)) == "<html><TITLE></TITLE>gateway")
        #expect(RegistryErrorBody.summary(Array("plain words".utf8)) == "plain words")
    }
}

/// Where an upload starts once the registry refused a body of some size (`UploadMode.below`):
/// concurrent and later uploads begin under it instead of being refused again.
struct RefusedBodyBoundTests {
    @Test(arguments: [
        (Int64(64 << 20), UploadMode?.some(.chunked(16 << 20))),
        (Int64(16 << 20), .chunked(8 << 20)),
        (Int64(4 << 20) + 1, .chunked(4 << 20)),
        (Int64(1 << 20) + 1, .chunked(1 << 20)),
        (Int64(1 << 20), nil),
    ] as [(Int64, UploadMode?)])
    func below(bound: Int64, start: UploadMode?) {
        #expect(UploadMode.below(bound) == start, "\(bound)")
    }
}
