import OCI

/// Facts about a registry host that decide how to talk to it.
public enum RegistryHost {
    /// Schemes to try, in order, for `host` (`name[:port]`).
    ///
    /// go-containerregistry's rule: HTTPS everywhere, except that loopback (`localhost`,
    /// `*.localhost`, 127.0.0.0/8, ::1) and RFC 1918 private addresses may fall back to plain HTTP
    /// when HTTPS fails. `plainHTTP` forces HTTP; a scheme the user named for this host
    /// (`https://host`) wins over both.
    public static func schemes(for host: String, plainHTTP: Bool, named: String? = nil) -> [String] {
        if let named { return [named] }
        if plainHTTP { return ["http"] }
        return allowsPlainHTTP(host) ? ["https", "http"] : ["https"]
    }

    /// Whether `host` is loopback or a private (RFC 1918) address.
    public static func allowsPlainHTTP(_ host: String) -> Bool {
        let name = hostname(of: host).lowercased()
        if name == "localhost" || name.hasSuffix(".localhost") { return true }
        if name == "::1" || name == "0:0:0:0:0:0:0:1" { return true }
        guard let octets = ipv4Octets(name) else { return false }
        switch (octets[0], octets[1]) {
        case (127, _), (10, _), (192, 168): return true
        case (172, 16...31): return true
        default: return false
        }
    }

    /// The host without port or IPv6 brackets.
    public static func hostname(of host: String) -> String {
        String(Reference.unbracketed(Reference.splitPort(host).host))
    }

    static func ipv4Octets(_ text: String) -> [Int]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var octets: [Int] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isNumber), let value = Int(part), value <= 255 else { return nil }
            octets.append(value)
        }
        return octets
    }
}
