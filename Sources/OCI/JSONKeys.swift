import Foundation

/// Duplicate keys in JSON objects. JSON parsers disagree on which of two equal keys wins
/// (Foundation's JSONDecoder takes the first; JSONSerialization, Go and Python the last), so a
/// document with one could read differently in airlock and in the tools next to it. Documents
/// whose bytes are signed or addressed by digest are refused instead.
public enum JSONKeys {
    /// The first key that appears twice in one object of `bytes` (valid JSON of at most 512
    /// levels: run it after a parser has accepted the bytes), or nil.
    public static func firstDuplicate(in bytes: [UInt8]) -> String? {
        // One entry per open container: the keys seen so far for an object, nil for an array.
        var open: [Set<String>?] = []
        var expectingKey = false
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "{"):
                open.append([])
                expectingKey = true
            case UInt8(ascii: "["):
                open.append(nil)
                expectingKey = false
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = open.popLast()
                expectingKey = false
            case UInt8(ascii: ","):
                expectingKey = open.last.map { $0 != nil } ?? false
            case UInt8(ascii: "\""):
                let start = index
                var escaped = false
                index += 1
                while index < bytes.count {
                    let byte = bytes[index]
                    if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { break }
                    index += 1
                }
                if expectingKey, var keys = open.last ?? nil {
                    let key = decodeString(bytes[start...min(index, bytes.count - 1)])
                    if !keys.insert(key).inserted { return key }
                    open[open.count - 1] = keys
                    expectingKey = false
                }
            default:
                break
            }
            index += 1
        }
        return nil
    }

    /// A JSON string token (with its quotes) as text; escapes are decoded by Foundation's parser.
    private static func decodeString(_ token: ArraySlice<UInt8>) -> String {
        guard token.contains(UInt8(ascii: "\\")) else { return String(decoding: token.dropFirst().dropLast(), as: UTF8.self) }
        let text = try? JSONSerialization.jsonObject(with: Data(token), options: .fragmentsAllowed) as? String
        return text ?? String(decoding: token, as: UTF8.self)
    }
}
