import Foundation

/// One place that turns response bytes into values.
enum JSONDecoderFactory {
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }
}
