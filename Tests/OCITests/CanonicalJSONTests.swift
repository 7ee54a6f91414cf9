import OCI
import Testing

struct CanonicalJSONTests {
    struct Sample: Encodable {
        let zebra = 1
        let path = "blobs/sha256/ab"
        let apple = ["b": 2, "a": 1]
    }

    /// The bytes each style writes: keys sorted at every level, slashes as each format fixes.
    static let styles: [(String, String)] = [
        ("compact", #"{"apple":{"a":1,"b":2},"path":"blobs/sha256/ab","zebra":1}"#),
        ("compactEscapingSlashes", #"{"apple":{"a":1,"b":2},"path":"blobs\/sha256\/ab","zebra":1}"#),
        ("pretty", "{\n  \"apple\" : {\n    \"a\" : 1,\n    \"b\" : 2\n  },\n  \"path\" : \"blobs/sha256/ab\",\n  \"zebra\" : 1\n}\n"),
    ]

    @Test(arguments: styles)
    func encodes(_ style: String, _ expected: String) throws {
        let bytes: [UInt8]
        switch style {
        case "compact": bytes = try CanonicalJSON.compact(Sample())
        case "compactEscapingSlashes": bytes = try CanonicalJSON.compactEscapingSlashes(Sample())
        default: bytes = try CanonicalJSON.pretty(Sample())
        }
        #expect(String(decoding: bytes, as: UTF8.self) == expected)
    }
}
