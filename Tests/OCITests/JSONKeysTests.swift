import OCI
import Testing

struct JSONKeysTests {
    @Test(arguments: [
        (#"{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}"#, nil),
        (#"{"a":1,"a":2}"#, "a"),
        (#"{"x":{"k":"}","k":"{"}}"#, "k"),
        (#"{"s":"a\"b","t":"\",\"s\":1","s":2}"#, "s"),
        (#"{"a":1,"\u0061":2}"#, "a"),
        (#"["a","a",{"a":[],"b":{},"a":0}]"#, "a"),
        (#"{"a":"x","b":"a","c":["a"]}"#, nil),
        (#"{}"#, nil),
    ] as [(String, String?)])
    func findsTheFirstRepeatedKey(json: String, duplicate: String?) {
        #expect(JSONKeys.firstDuplicate(in: Array(json.utf8)) == duplicate, "\(json)")
    }

    @Test func manifestWithARepeatedKeyIsRefused() {
        let json = #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","size":0},"layers":[],"layers":[]}"#
        #expect {
            try ManifestDocument(bytes: Array(json.utf8))
        } throws: { error in
            "\(error)".contains("'layers' appears twice")
        }
        let once = json.replacingOccurrences(of: #","layers":[]}"#, with: "}")
        #expect(throws: Never.self) { try ManifestDocument(bytes: Array(once.utf8)) }
    }
}
