import OCI
import Testing

struct ReferenceSplitTests {
    static let digest = "sha256:" + String(repeating: "ab", count: 32)

    /// text → (name, tag, digest)
    static let references: [(String, String, String?, String?)] = [
        ("app", "app", nil, nil),
        ("app:1.0", "app", "1.0", nil),
        ("acme/app:1.0", "acme/app", "1.0", nil),
        ("host:5000/app", "host:5000/app", nil, nil),
        ("host:5000/app:5000", "host:5000/app", "5000", nil),
        ("[::1]:5000/app:v1", "[::1]:5000/app", "v1", nil),
        ("[::1]:5000/app", "[::1]:5000/app", nil, nil),
        ("ghcr.io/acme/app@\(digest)", "ghcr.io/acme/app", nil, digest),
        ("ghcr.io/acme/app:1.0@\(digest)", "ghcr.io/acme/app", "1.0", digest),
        ("host:5000/app@\(digest)", "host:5000/app", nil, digest),
        ("app:", "app", "", nil),
        ("", "", nil, nil),
    ]

    @Test(arguments: references)
    func splitsNameTagDigest(_ text: String, _ name: String, _ tag: String?, _ digest: String?) {
        let parts = Reference.split(text)
        #expect(parts.name == name)
        #expect(parts.tag.map(String.init) == tag)
        #expect(parts.digest.map(String.init) == digest)
    }

    @Test(arguments: references)
    func spellingJoinsWhatSplitting(_ text: String, _ name: String, _ tag: String?, _ digest: String?) throws {
        let parsed = try digest.map { try Digest(parsing: $0) }
        #expect(Reference.spelled(name, tag: tag, digest: parsed) == text)
    }

    @Test func digestSplitsAtTheFirstAt() {
        let (name, digest) = Reference.splitDigest("app:1@sha256:x@y")
        #expect(name == "app:1")
        #expect(digest == "sha256:x@y")
        #expect(Reference.splitDigest("app").digest == nil)
    }

    /// name → (registry, path)
    static let names: [(String, String, String?)] = [
        ("registry.local:5000/acme/runtime", "registry.local:5000", "acme/runtime"),
        ("[::1]:5000/app", "[::1]:5000", "app"),
        ("index.docker.io/library/ubuntu", "index.docker.io", "library/ubuntu"),
        ("charts/podinfo", "charts", "podinfo"),
        ("registry.local", "registry.local", nil),
        ("registry.local/", "registry.local", ""),
        ("", "", nil),
    ]

    @Test(arguments: names)
    func splitsRegistryAtTheFirstSlash(_ name: String, _ registry: String, _ path: String?) {
        let parts = Reference.splitRegistry(name)
        #expect(parts.registry == registry)
        #expect(parts.path.map(String.init) == path)
    }

    /// first component → is it a registry host (Docker's rule)?
    static let components: [(String, Bool)] = [
        ("registry.local", true), ("host:5000", true), ("localhost", true), ("[::1]:5000", true),
        ("Upper", true), ("acme", false), ("library", false), ("charts", false), ("localhost2", false),
    ]

    @Test(arguments: components)
    func recognisesRegistryHosts(_ component: String, _ isHost: Bool) {
        #expect(Reference.isRegistryHost(component) == isHost)
    }

    /// host → (host, port, unbracketed host)
    static let hosts: [(String, String, String?, String)] = [
        ("registry.local", "registry.local", nil, "registry.local"),
        ("registry.local:5000", "registry.local", "5000", "registry.local"),
        ("127.0.0.1:5000", "127.0.0.1", "5000", "127.0.0.1"),
        ("[::1]:5000", "[::1]", "5000", "::1"),
        ("[::1]", "[::1]", nil, "::1"),
        ("[fe80::1%eth0]:443", "[fe80::1%eth0]", "443", "fe80::1%eth0"),
        ("::1:5000", "::1", "5000", "::1"),
        ("host:", "host", "", "host"),
        ("[]:80", "[]", "80", ""),
        ("[::1", "[:", "1", "[:"),
    ]

    @Test(arguments: hosts)
    func splitsPort(_ text: String, _ host: String, _ port: String?, _ unbracketed: String) {
        let parts = Reference.splitPort(text)
        #expect(parts.host == host)
        #expect(parts.port.map(String.init) == port)
        #expect(Reference.unbracketed(parts.host) == unbracketed)
    }

    @Test func parsingUsesTheSameSplit() throws {
        for (text, name, tag, digest) in Self.references where !name.isEmpty && tag != "" {
            let reference = try Reference(parsing: text)
            #expect(reference.tag == tag)
            #expect(reference.digest?.description == digest)
            #expect(Reference.splitRegistry(reference.name).path.map(String.init) == reference.repository)
        }
    }
}
