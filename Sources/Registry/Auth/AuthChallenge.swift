/// A parsed `WWW-Authenticate` challenge.
/// Bearer: https://distribution.github.io/distribution/spec/auth/token/ ; syntax: RFC 7235 §4.1.
public struct AuthChallenge: Sendable, Hashable {
    public enum Scheme: Sendable, Hashable {
        case basic
        case bearer
        case other(String)
    }

    public let scheme: Scheme
    /// Lower-cased parameter names → values (quotes removed, escapes resolved).
    public let parameters: [String: String]

    public var realm: String? { parameters["realm"] }
    public var service: String? { parameters["service"] }
    public var scope: String? { parameters["scope"] }

    public init(scheme: Scheme, parameters: [String: String]) {
        self.scheme = scheme
        self.parameters = parameters
    }

    /// Parses every challenge in a header value, e.g.
    /// `Bearer realm="https://auth.example.com/token",service="registry",scope="repository:a/b:pull"`.
    /// Unparseable input yields no challenges rather than an error: the caller reports the 401.
    public static func parse(_ header: String) -> [AuthChallenge] {
        var scanner = ChallengeScanner(Array(header.utf8))
        var challenges: [AuthChallenge] = []
        while true {
            scanner.skip { $0 == 0x20 || $0 == 0x09 || $0 == 0x2c }
            guard let schemeToken = scanner.token(), !schemeToken.isEmpty else { break }
            let scheme: Scheme = switch schemeToken.lowercased() {
            case "basic": .basic
            case "bearer": .bearer
            default: .other(schemeToken)
            }
            var parameters: [String: String] = [:]
            while true {
                scanner.skip { $0 == 0x20 || $0 == 0x09 }
                let mark = scanner.position
                guard let name = scanner.token(), !name.isEmpty else { break }
                scanner.skip { $0 == 0x20 || $0 == 0x09 }
                guard scanner.consume(0x3d) else {
                    // Not `name=`: it was the next challenge's scheme.
                    scanner.position = mark
                    break
                }
                scanner.skip { $0 == 0x20 || $0 == 0x09 }
                guard let value = scanner.quotedString() ?? scanner.token() else { return challenges }
                parameters[name.lowercased()] = value
                scanner.skip { $0 == 0x20 || $0 == 0x09 }
                guard scanner.consume(0x2c) else { break }
            }
            challenges.append(AuthChallenge(scheme: scheme, parameters: parameters))
        }
        return challenges
    }
}
