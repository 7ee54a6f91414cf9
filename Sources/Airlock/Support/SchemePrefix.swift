/// What may stand before a registry location the user names (`--to`, `airlock login`):
/// `https://` or `http://`, which fix the scheme, or `docker://` (skopeo's spelling, dropped).
enum SchemePrefix {
    /// The scheme named (nil for none or `docker://`) and the location after it; nil when the text
    /// names another scheme.
    static func split(_ text: String) -> (scheme: String?, location: Substring)? {
        var location = Substring(text)
        var scheme: String?
        for prefix in ["https", "http", "docker"] where location.hasPrefix(prefix + "://") {
            location = location.dropFirst(prefix.count + 3)
            scheme = prefix == "docker" ? nil : prefix
            break
        }
        return location.contains("://") ? nil : (scheme, location)
    }
}
