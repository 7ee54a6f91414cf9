/// A content digest, `algorithm:encoded`, validated on creation.
/// Mirrors https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests
public struct Digest: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public enum Algorithm: String, Sendable, Hashable, Codable, CaseIterable {
        case sha256
        case sha512

        /// Length of the lower-case hex encoding.
        public var hexLength: Int {
            switch self {
            case .sha256: 64
            case .sha512: 128
            }
        }
    }

    public let algorithm: Algorithm
    /// Lower-case hex of the hash.
    public let hex: String

    public init(algorithm: Algorithm, hex: String) throws(OCIError) {
        guard hex.utf8.count == algorithm.hexLength,
              hex.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
        else {
            throw OCIError.invalidDigest("\(algorithm.rawValue):\(hex)")
        }
        self.algorithm = algorithm
        self.hex = hex
    }

    public init(parsing text: String) throws(OCIError) {
        guard let colon = text.firstIndex(of: ":") else {
            throw OCIError.invalidDigest(text)
        }
        guard let algorithm = Algorithm(rawValue: String(text[..<colon])) else {
            throw OCIError.invalidDigest(text)
        }
        try self.init(algorithm: algorithm, hex: String(text[text.index(after: colon)...]))
    }

    /// The digest of `bytes` computed with `algorithm`.
    public static func of<Bytes: Sequence>(_ bytes: Bytes, algorithm: Algorithm = .sha256) throws(OCIError) -> Digest
    where Bytes.Element == UInt8 {
        let hasher = DigestHasher(algorithm)
        hasher.update(Array(bytes))
        return try hasher.finalize()
    }

    public var description: String { "\(algorithm.rawValue):\(hex)" }

    /// The first 12 hex characters, as container tools show them.
    public var short: String { String(hex.prefix(12)) }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.description < rhs.description }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension Digest {
    /// For hashes this module computed itself: skips validation.
    init(trusted algorithm: Algorithm, hex: String) {
        self.algorithm = algorithm
        self.hex = hex
    }
}
