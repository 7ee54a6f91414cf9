import Foundation

/// A secret for one registry. `description` never shows it.
public struct Credential: Sendable, Hashable, CustomStringConvertible {
    public let username: String
    public let password: String
    /// An OAuth2 refresh token (docker's `identitytoken`), used instead of the password at token servers.
    public let identityToken: String?

    public init(username: String, password: String, identityToken: String? = nil) {
        self.username = username
        self.password = password
        self.identityToken = identityToken
    }

    public var description: String { "Credential(username: \(username), secret: <redacted>)" }

    var basicAuthorization: String {
        "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }
}
