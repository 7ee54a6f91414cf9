import Foundation
import OCI

/// config.json as its top-level members, each value kept as the exact bytes it was written with:
/// a login changes one registry's entry in `auths` and nothing else in the file (other logins,
/// `credHelpers`, `proxies`, keys airlock does not know keep their bytes).
struct DockerConfigDocument {
    typealias Member = (key: String, value: [UInt8])

    let path: String
    private(set) var members: [Member]

    /// The document in `bytes`, or an empty one when there is no file yet.
    init(bytes: [UInt8]?, path: String) throws(RegistryError) {
        self.path = path
        guard let bytes else {
            members = []
            return
        }
        guard (try? JSONSerialization.jsonObject(with: Data(bytes))) is [String: Any] else {
            throw .badConfiguration("docker config \(path) is not a JSON object; fix or remove it")
        }
        if let key = JSONKeys.firstDuplicate(in: bytes) {
            throw .badConfiguration("docker config \(path) has the key \"\(key)\" twice in one object; fix it before airlock changes it")
        }
        members = Self.members(of: bytes[...])
        if let auths = members.first(where: { $0.key == "auths" })?.value, auths != Array("null".utf8), auths.first != UInt8(ascii: "{") {
            throw .badConfiguration("docker config \(path) has an auths that is not a JSON object; fix it before airlock changes it")
        }
    }

    /// Sets `key`'s `auths` entry to `{"auth": base64(user:password)}`, as docker login writes it,
    /// in place of every entry naming the same registry.
    mutating func setAuth(_ credential: Credential, key: String) throws {
        let auth = Data("\(credential.username):\(credential.password)".utf8).base64EncodedString()
        let entry = Array("{\n\t\t\t\"auth\": ".utf8) + (try CanonicalJSON.compact(auth)) + Array("\n\t\t}".utf8)
        var entries = auths.filter { DockerConfig.normalizedKey($0.key) != key }
        entries.append((key, entry))
        try setAuths(entries)
    }

    /// Removes every `auths` entry naming `key`'s registry; whether there was one.
    mutating func removeAuths(key: String) throws -> Bool {
        let entries = auths
        let kept = entries.filter { DockerConfig.normalizedKey($0.key) != key }
        guard kept.count < entries.count else { return false }
        try setAuths(kept)
        return true
    }

    /// The file's new bytes: tab-indented like docker's, every untouched value as it was.
    func bytes() throws -> [UInt8] {
        try Self.object(members, indent: "\t") + [0x0A]
    }

    private var auths: [Member] {
        guard let value = members.first(where: { $0.key == "auths" })?.value, value.first == UInt8(ascii: "{") else { return [] }
        return Self.members(of: value[...])
    }

    private mutating func setAuths(_ entries: [Member]) throws {
        let value = try Self.object(entries, indent: "\t\t")
        if let index = members.firstIndex(where: { $0.key == "auths" }) {
            members[index].value = value
        } else {
            members.insert(("auths", value), at: 0)
        }
    }

    /// `{"key": value, ...}` with one member a line, `indent` before each.
    private static func object(_ members: [Member], indent: String) throws -> [UInt8] {
        guard !members.isEmpty else { return Array("{}".utf8) }
        let lines = try members.map { member in
            Array(indent.utf8) + (try CanonicalJSON.compact(member.key)) + Array(": ".utf8) + member.value
        }
        return Array("{\n".utf8) + Array(lines.joined(separator: Array(",\n".utf8))) + Array("\n\(indent.dropLast())}".utf8)
    }

    /// The members of the JSON object in `bytes` (valid JSON: it was parsed before), each value as
    /// its bytes.
    static func members(of bytes: ArraySlice<UInt8>) -> [Member] {
        var scanner = JSONSpanScanner(bytes: bytes)
        var members: [Member] = []
        scanner.skipSpace()
        scanner.skip(UInt8(ascii: "{"))
        while true {
            scanner.skipSpace()
            guard let byte = scanner.current, byte == UInt8(ascii: "\"") else { break }
            let key = scanner.value()
            scanner.skipSpace()
            scanner.skip(UInt8(ascii: ":"))
            scanner.skipSpace()
            let value = scanner.value()
            members.append((decodedString(bytes[key]), Array(bytes[value])))
            scanner.skipSpace()
            scanner.skip(UInt8(ascii: ","))
        }
        return members
    }

    private static func decodedString(_ token: ArraySlice<UInt8>) -> String {
        (try? JSONSerialization.jsonObject(with: Data(token), options: .fragmentsAllowed) as? String) ?? String(decoding: token.dropFirst().dropLast(), as: UTF8.self)
    }
}

/// Finds where values start and end in valid JSON, without building them.
private struct JSONSpanScanner {
    let bytes: ArraySlice<UInt8>
    var index: Int

    init(bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        index = bytes.startIndex
    }

    var current: UInt8? { index < bytes.endIndex ? bytes[index] : nil }

    mutating func skipSpace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
    }

    /// Steps over `byte` when it is next.
    mutating func skip(_ byte: UInt8) {
        if current == byte { index += 1 }
    }

    /// The span of the value that starts here: a string, an object or array, or a literal.
    mutating func value() -> Range<Int> {
        let start = index
        switch current {
        case UInt8(ascii: "\"")?:
            skipString()
        case UInt8(ascii: "{")?, UInt8(ascii: "[")?:
            var depth = 0
            repeat {
                switch current {
                case UInt8(ascii: "\"")?: skipString(); continue
                case UInt8(ascii: "{")?, UInt8(ascii: "[")?: depth += 1
                case UInt8(ascii: "}")?, UInt8(ascii: "]")?: depth -= 1
                default: break
                }
                index += 1
            } while depth > 0 && index < bytes.endIndex
        default:
            while let byte = current, !",}] \t\r\n".utf8.contains(byte) { index += 1 }
        }
        return start..<index
    }

    /// Steps over a string, its quotes and escapes included.
    private mutating func skipString() {
        index += 1
        var escaped = false
        while let byte = current {
            index += 1
            if escaped {
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                return
            }
        }
    }
}
