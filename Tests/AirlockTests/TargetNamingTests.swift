@testable import Airlock
import Bundle
import OCI
import Testing

struct TargetNamingTests {
    static func image(_ source: String, tag: String? = "1.0") throws -> BundleManifest.Image {
        BundleManifest.Image(source: source, tag: tag, pattern: nil, digest: try Digest.of([1]), mediaType: MediaType.ociManifest,
                             size: 1, platforms: [], sourceDigest: nil, refName: "x", totalSize: 1)
    }

    @Test(arguments: [
        // (to, strip, namespaces, template, source, expected)
        ("registry.local:5000/vendor", 0, [String: String](), nil as String?, "quay.io/acme/runtime", "vendor/acme/runtime:1.0"),
        ("registry.local:5000", 0, [:], nil, "quay.io/acme/runtime", "acme/runtime:1.0"),
        ("registry.local:5000/vendor", 1, [:], nil, "quay.io/acme/team/runtime", "vendor/team/runtime:1.0"),
        ("registry.local:5000/vendor", 0, ["docker.io": "hub", "index.docker.io": "hub"], nil, "index.docker.io/library/nginx", "hub/library/nginx:1.0"),
        ("registry.local:5000/vendor", 0, ["docker.io": "hub"], nil, "quay.io/acme/runtime", "vendor/acme/runtime:1.0"),
        ("123.dkr.ecr.example.com", 0, [:], "vendor/all:{flatpath}-{tag}", "quay.io/acme/runtime", "vendor/all:acme-runtime-1.0"),
        ("registry.local", 0, [:], "mirror/{name}", "quay.io/acme/runtime", "mirror/runtime:1.0"),
    ])
    func names(_ to: String, _ strip: Int, _ namespaces: [String: String], _ template: String?, _ source: String, _ expected: String) throws {
        let naming = try TargetNaming(to: to, stripComponents: strip, registryNamespaces: namespaces, template: template)
        let target = try naming.target(for: try Self.image(source))
        #expect("\(target.repository):\(target.tag ?? "")" == expected)
    }

    @Test func invalidTargetsAreUsageErrors() throws {
        #expect(throws: AirlockError.self) { try TargetNaming(to: "") }
        #expect(throws: AirlockError.self) { try TargetNaming(to: "registry.local/Vendor") }
        let strip = try TargetNaming(to: "r.local", stripComponents: 2)
        #expect(throws: AirlockError.self) { try strip.target(for: try Self.image("quay.io/acme/runtime")) }
        let template = try TargetNaming(to: "r.local", template: "all:{path}")
        #expect(throws: AirlockError.self) { try template.target(for: try Self.image("quay.io/acme/runtime")) }
    }
}
