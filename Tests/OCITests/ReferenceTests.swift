import OCI
import Testing

struct ReferenceTests {
    static let digest = "sha256:" + String(repeating: "ab", count: 32)

    /// input → (registry, repository, tag, digest)
    static let valid: [(String, String, String, String?, String?)] = [
        ("ubuntu", "index.docker.io", "library/ubuntu", nil, nil),
        ("ubuntu:22.04", "index.docker.io", "library/ubuntu", "22.04", nil),
        ("library/ubuntu", "index.docker.io", "library/ubuntu", nil, nil),
        ("docker.io/ubuntu", "index.docker.io", "library/ubuntu", nil, nil),
        ("docker.io/library/ubuntu:latest", "index.docker.io", "library/ubuntu", "latest", nil),
        ("registry-1.docker.io/acme/app", "index.docker.io", "acme/app", nil, nil),
        ("index.docker.io/acme/app:1", "index.docker.io", "acme/app", "1", nil),
        ("acme/app:2.10.2", "index.docker.io", "acme/app", "2.10.2", nil),
        ("registry.example.com/acme/runtime:8.12.0", "registry.example.com", "acme/runtime", "8.12.0", nil),
        ("registry.example.com:5000/acme/runtime", "registry.example.com:5000", "acme/runtime", nil, nil),
        ("localhost/app", "localhost", "app", nil, nil),
        ("localhost:5000/app:v1", "localhost:5000", "app", "v1", nil),
        ("127.0.0.1:5000/a/b/c/d:tag", "127.0.0.1:5000", "a/b/c/d", "tag", nil),
        ("[::1]:5000/app", "[::1]:5000", "app", nil, nil),
        ("[fe80::1]/app:x", "[fe80::1]", "app", "x", nil),
        ("Registry.Example.com/app", "Registry.Example.com", "app", nil, nil),
        ("quay.io/acme/a-b_c.d__e:1.0-rc.1", "quay.io", "acme/a-b_c.d__e", "1.0-rc.1", nil),
        ("quay.io/acme/a--b", "quay.io", "acme/a--b", nil, nil),
        ("ghcr.io/acme/app@\(digest)", "ghcr.io", "acme/app", nil, digest),
        ("ghcr.io/acme/app:1.0@\(digest)", "ghcr.io", "acme/app", "1.0", digest),
        ("app@\(digest)", "index.docker.io", "library/app", nil, digest),
        ("host:5000/app:5000", "host:5000", "app", "5000", nil),
        ("a.b/c:_under", "a.b", "c", "_under", nil),
        ("a.b/c:UPPER_case", "a.b", "c", "UPPER_case", nil),
        ("xn--bcher-kva.example/app", "xn--bcher-kva.example", "app", nil, nil),
    ]

    @Test(arguments: valid)
    func parsesValid(_ input: String, _ registry: String, _ repository: String, _ tag: String?, _ digest: String?) throws {
        let reference = try Reference(parsing: input)
        #expect(reference.registry == registry)
        #expect(reference.repository == repository)
        #expect(reference.tag == tag)
        #expect(reference.digest?.description == digest)
    }

    static let invalid: [String] = [
        "",
        "UPPER/app",             // treated as registry? no: has upper-case, so it is a host; path ok → see below
        "registry.example.com/Acme/app",
        "app:",
        "app:-leading-dash",
        "app:.leading-dot",
        "app:" + String(repeating: "t", count: 129),
        "app@sha256:short",
        "app@md5:" + String(repeating: "a", count: 32),
        "host:99999/app",
        "host:port/app",
        "-host.com/app",
        "host-.com/app",
        "registry.example.com/app/",
        "registry.example.com//app",
        "registry.example.com/a__-b",
        "registry.example.com/a...b",
        "registry.example.com/_app",
        "registry.example.com/app_",
        "a b/c",
        "[::1/app",
        "[zz::1]/app",
        "registry.example.com/" + String(repeating: "a", count: 260),
    ]

    @Test(arguments: invalid.filter { $0 != "UPPER/app" })
    func rejectsInvalid(_ input: String) {
        #expect(throws: OCIError.self) { try Reference(parsing: input) }
    }

    @Test func upperCaseFirstComponentIsARegistry() throws {
        // distribution treats a first component with capitals as a host, never as a Hub path.
        let reference = try Reference(parsing: "UPPER/app")
        #expect(reference.registry == "UPPER")
        #expect(reference.repository == "app")
    }

    @Test func errorSaysWhatIsWrong() {
        do {
            _ = try Reference(parsing: "registry.example.com/Acme/app")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("lower-case"))
            #expect(error.description.contains("registry.example.com/Acme/app"))
        }
    }

    @Test func descriptionRoundTrips() throws {
        for (input, _, _, _, _) in Self.valid {
            let reference = try Reference(parsing: input)
            #expect(try Reference(parsing: reference.description) == reference)
        }
    }

    @Test func identifierPrefersDigest() throws {
        let reference = try Reference(parsing: "ghcr.io/acme/app:1.0@\(Self.digest)")
        #expect(reference.identifier == Self.digest)
        #expect(try Reference(parsing: "ghcr.io/acme/app:1.0").identifier == "1.0")
    }
}
