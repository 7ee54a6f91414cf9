/// The tool's version: the one definition behind `airlock --version`, `airlock version`, the
/// User-Agent every registry sees and the `tool` recorded in each bundle manifest. It lives in
/// OCI, the lowest module, so every layer can read it.
public enum AirlockVersion {
    public static let current = "0.1.0"
}
