import CArchive
import COpenSSL
import CZstd

/// The versions of the C libraries airlock runs with (`airlock version`).
public enum LibraryVersions {
    /// `(library, version)` pairs, as each library reports itself at run time.
    public static var all: [(name: String, version: String)] {
        [
            ("libarchive", archiveVersion),
            ("zstd", String(cString: ZSTD_versionString())),
            ("OpenSSL", String(cString: OpenSSL_version(Int32(OPENSSL_VERSION_STRING)))),
        ]
    }

    /// libarchive says "libarchive 3.7.2"; keep the number.
    private static var archiveVersion: String {
        let text = String(cString: archive_version_string())
        return text.hasPrefix("libarchive ") ? String(text.dropFirst("libarchive ".count)) : text
    }
}
