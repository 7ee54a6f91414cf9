import Foundation
@testable import Registry
import Testing
import TestSupport

struct SchemeRuleTests {
    @Test(arguments: [
        ("localhost", ["https", "http"]),
        ("localhost:5000", ["https", "http"]),
        ("registry.localhost:5000", ["https", "http"]),
        ("127.0.0.1:5000", ["https", "http"]),
        ("127.255.0.9", ["https", "http"]),
        ("[::1]:5000", ["https", "http"]),
        ("10.1.2.3:5000", ["https", "http"]),
        ("172.16.0.1", ["https", "http"]),
        ("172.31.255.255:443", ["https", "http"]),
        ("192.168.1.20:5000", ["https", "http"]),
        ("172.15.0.1", ["https"]),
        ("172.32.0.1", ["https"]),
        ("192.169.0.1", ["https"]),
        ("11.0.0.1", ["https"]),
        ("registry.example.com", ["https"]),
        ("registry.example.com:5000", ["https"]),
        ("localhost.example.com", ["https"]),
        ("index.docker.io", ["https"]),
        ("[fe80::1]:5000", ["https"]),
        ("127.0.0.1.nip.io", ["https"]),
        ("256.0.0.1", ["https"]),
    ])
    func defaultSchemes(_ host: String, _ expected: [String]) {
        #expect(RegistryHost.schemes(for: host, plainHTTP: false) == expected)
    }

    @Test func plainHTTPOverrides() {
        #expect(RegistryHost.schemes(for: "registry.example.com", plainHTTP: true) == ["http"])
    }
}

struct AuthChallengeTests {
    @Test func bearerWithAllParameters() throws {
        let challenges = AuthChallenge.parse(#"Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:acme/app:pull,push""#)
        let challenge = try #require(challenges.first)
        #expect(challenges.count == 1)
        #expect(challenge.scheme == .bearer)
        #expect(challenge.realm == "https://auth.example.com/token")
        #expect(challenge.service == "registry.example.com")
        #expect(challenge.scope == "repository:acme/app:pull,push")
    }

    @Test func basic() throws {
        let challenge = try #require(AuthChallenge.parse(#"Basic realm="Registry Realm""#).first)
        #expect(challenge.scheme == .basic)
        #expect(challenge.realm == "Registry Realm")
    }

    @Test func caseAndSpacingAndEscapes() throws {
        let challenge = try #require(AuthChallenge.parse(#"bearer   Realm = "https://a/t?x=1" , SERVICE="a \"quoted\" b""#).first)
        #expect(challenge.scheme == .bearer)
        #expect(challenge.realm == "https://a/t?x=1")
        #expect(challenge.service == #"a "quoted" b"#)
    }

    @Test func unquotedValues() throws {
        let challenge = try #require(AuthChallenge.parse("Bearer realm=https://auth.example.com/token,service=reg").first)
        #expect(challenge.realm == "https://auth.example.com/token")
        #expect(challenge.service == "reg")
    }

    @Test func severalChallengesInOneHeader() {
        let challenges = AuthChallenge.parse(#"Basic realm="r1", Bearer realm="https://t/token",service="s""#)
        #expect(challenges.map(\.scheme) == [.basic, .bearer])
        #expect(challenges.last?.service == "s")
    }

    @Test(arguments: ["", "   ", ",,,", "Bearer realm=\"unterminated", "=", "Bearer ,"])
    func toleratesGarbage(_ header: String) {
        // Never crashes; yields at most partial challenges.
        let challenges = AuthChallenge.parse(header)
        #expect(challenges.count <= 1)
    }

    @Test func errorScopeParameterAndErrorField() throws {
        let challenge = try #require(AuthChallenge.parse(#"Bearer realm="https://t",service="s",scope="repository:a:pull",error="insufficient_scope""#).first)
        #expect(challenge.parameters["error"] == "insufficient_scope")
    }
}

struct RetryPolicyTests {
    @Test func exponentialWithCap() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(100), maxDelay: .seconds(1), maxTotalDelay: .seconds(100), jitter: { 1.0 })
        #expect(policy.delay(afterAttempt: 1, retryAfter: nil, waited: .zero) == .milliseconds(100))
        #expect(policy.delay(afterAttempt: 2, retryAfter: nil, waited: .zero) == .milliseconds(200))
        #expect(policy.delay(afterAttempt: 4, retryAfter: nil, waited: .zero) == .milliseconds(800))
        #expect(policy.delay(afterAttempt: 5, retryAfter: nil, waited: .zero) == .seconds(1))
        #expect(policy.delay(afterAttempt: 10, retryAfter: nil, waited: .zero) == nil)
    }

    @Test func honoursRetryAfterAndTotalBound() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(100), maxDelay: .seconds(5), maxTotalDelay: .seconds(6), jitter: { 1.0 })
        #expect(policy.delay(afterAttempt: 1, retryAfter: .seconds(3), waited: .zero) == .seconds(3))
        #expect(policy.delay(afterAttempt: 1, retryAfter: .seconds(30), waited: .zero) == .seconds(5))
        #expect(policy.delay(afterAttempt: 2, retryAfter: .seconds(3), waited: .seconds(4)) == nil)
    }

    @Test func parsesRetryAfter() {
        #expect(RetryPolicy.parseRetryAfter("7") == .seconds(7))
        #expect(RetryPolicy.parseRetryAfter("nonsense") == nil)
        #expect(RetryPolicy.parseRetryAfter(nil) == nil)
        let date = RetryPolicy.parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now: 784111777 - 10)
        #expect(date == .seconds(10))
    }

    @Test(arguments: [(408, true), (429, true), (500, true), (502, true), (503, true), (504, true), (501, false), (400, false), (404, false), (401, false)])
    func retryableStatuses(_ status: Int, _ expected: Bool) {
        #expect(RetryPolicy.isRetryable(status: status) == expected)
    }
}

struct URLAndLinkTests {
    @Test func nextLink() {
        #expect(RegistryClient.nextLink(#"</v2/a/tags/list?last=x&n=10>; rel="next""#) == "/v2/a/tags/list?last=x&n=10")
        #expect(RegistryClient.nextLink(#"<https://h/v2/a/tags/list?n=10&last=y>;rel=next"#) == "https://h/v2/a/tags/list?n=10&last=y")
        #expect(RegistryClient.nextLink(#"</x>; rel="prev", </y>; rel="next""#) == "/y")
        #expect(RegistryClient.nextLink(#"</x>; rel="prev""#) == nil)
    }

    @Test func resolve() {
        #expect(URLParts.resolve("/v2/x?y", against: "http://h:5/v2/a") == "http://h:5/v2/x?y")
        #expect(URLParts.resolve("https://o/p", against: "http://h/v2/a") == "https://o/p")
        #expect(URLParts.resolve("//o/p", against: "https://h/v2/a") == "https://o/p")
        #expect(URLParts.resolve("b?c", against: "http://h/v2/a/") == "http://h/v2/a/b?c")
        #expect(URLParts.authority(of: "https://user@h:5000/x") == "user@h:5000")
    }
}

struct CredentialTests {
    func writeConfig(_ json: String) throws -> String {
        let directory = try TestPaths.temporaryDirectory("docker-config")
        try json.write(to: directory.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        return directory.path
    }

    @Test func authsEntryByHostAndURLForms() async throws {
        let auth = Data("alice:s3cret:with:colons".utf8).base64EncodedString()
        let bob = Data("bob:pw".utf8).base64EncodedString()
        let hub = Data("hubuser:hubpw".utf8).base64EncodedString()
        let directory = try writeConfig("""
            {"auths":{"registry.example.com:5000":{"auth":"\(auth)"},
                      "https://other.example.com/v1/":{"auth":"\(bob)"},
                      "https://index.docker.io/v1/":{"auth":"\(hub)"},
                      "split.example.com":{"username":"carol","password":"pw2"}}}
            """)
        let config = try DockerConfig(environment: ["DOCKER_CONFIG": directory, "PATH": "/nonexistent"])
        let alice = try #require(try await config.credential(for: "registry.example.com:5000"))
        #expect(alice.username == "alice")
        #expect(alice.password == "s3cret:with:colons")
        #expect(try await config.credential(for: "other.example.com")?.username == "bob")
        #expect(try await config.credential(for: "index.docker.io")?.username == "hubuser")
        #expect(try await config.credential(for: "split.example.com")?.password == "pw2")
        #expect(try await config.credential(for: "unknown.example.com") == nil)
        #expect(!alice.description.contains("s3cret"))
    }

    @Test func missingConfigMeansAnonymous() async throws {
        let config = try DockerConfig(environment: ["DOCKER_CONFIG": "/nonexistent/dir", "PATH": "/nonexistent"])
        #expect(try await config.credential(for: "registry.example.com") == nil)
    }

    @Test func brokenConfigIsAClearError() throws {
        let directory = try writeConfig("{not json")
        #expect(throws: RegistryError.self) { try DockerConfig(environment: ["DOCKER_CONFIG": directory]) }
    }

    /// A fake `docker-credential-test` that answers from a table and logs what it was asked.
    func makeHelper() throws -> (directory: String, log: String) {
        let directory = try TestPaths.temporaryDirectory("cred-helper")
        let log = directory.appendingPathComponent("asked.log").path
        let script = """
            #!/bin/sh
            [ "$1" = get ] || exit 3
            read -r server
            echo "$server" >> \(log)
            case "$server" in
              helper.example.com) echo '{"ServerURL":"helper.example.com","Username":"hal","Secret":"h3lper-pw"}' ;;
              token.example.com) echo '{"ServerURL":"token.example.com","Username":"<token>","Secret":"refresh-abc"}' ;;
              store.example.com) echo '{"ServerURL":"store.example.com","Username":"sally","Secret":"st0re-pw"}' ;;
              *) echo "credentials not found in native keychain"; exit 1 ;;
            esac
            """
        try writeExecutable(directory.appendingPathComponent("docker-credential-test").path, script)
        return (directory.path, log)
    }

    @Test func credHelpersAndCredsStore() async throws {
        let helper = try makeHelper()
        let directory = try writeConfig("""
            {"credHelpers":{"helper.example.com":"test","token.example.com":"test"},
             "credsStore":"test",
             "auths":{"plain.example.com":{"auth":"\(Data("p:q".utf8).base64EncodedString())"}}}
            """)
        let config = try DockerConfig(environment: ["DOCKER_CONFIG": directory, "PATH": helper.directory + ":/usr/bin:/bin"])
        let hal = try #require(try await config.credential(for: "helper.example.com"))
        #expect(hal.username == "hal" && hal.password == "h3lper-pw")
        let token = try #require(try await config.credential(for: "token.example.com"))
        #expect(token.identityToken == "refresh-abc")
        // auths wins over credsStore for a host it names; credsStore covers the rest.
        #expect(try await config.credential(for: "plain.example.com")?.username == "p")
        #expect(try await config.credential(for: "store.example.com")?.username == "sally")
        #expect(try await config.credential(for: "nothing.example.com") == nil)
        let asked = try String(contentsOfFile: helper.log, encoding: .utf8)
        #expect(asked.contains("helper.example.com"))
        #expect(!asked.contains("plain.example.com"))
    }

    @Test func missingHelperIsAClearError() async throws {
        let directory = try writeConfig(#"{"credsStore":"does-not-exist"}"#)
        let config = try DockerConfig(environment: ["DOCKER_CONFIG": directory, "PATH": "/nonexistent"])
        await #expect(throws: RegistryError.self) { try await config.credential(for: "x.example.com") }
    }

    @Test func explicitCredentialsOnlyForTheirHosts() async throws {
        let explicit = ExplicitCredentials(Credential(username: "u", password: "p"), hosts: ["target:5000"])
        #expect(try await explicit.credential(for: "target:5000")?.username == "u")
        #expect(try await explicit.credential(for: "source.example.com") == nil)
    }
}
