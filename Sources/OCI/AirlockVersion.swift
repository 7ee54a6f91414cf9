import CBuildInfo

/// The tool's version: the one definition behind `airlock --version`, `airlock version`, the
/// User-Agent every registry sees and the `tool` recorded in each bundle manifest. It lives in
/// OCI, the lowest module, so every layer can read it.
public enum AirlockVersion {
    public static let current = "0.1.0"

    /// The commit this binary was built from (set by scripts/package.sh).
    public static var commit: String { String(cString: airlock_build_commit()) }

    /// The Swift toolchain that built it (set by scripts/package.sh).
    public static var swift: String { String(cString: airlock_build_swift()) }
}
