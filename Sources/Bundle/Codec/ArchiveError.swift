import CArchive

/// libarchive failures as errors with the library's own message.
enum ArchiveError {
    static func check(_ code: Int32, _ archive: OpaquePointer?, _ what: String) throws(BundleError) {
        guard code < ARCHIVE_WARN else { return }  // ARCHIVE_OK (0), ARCHIVE_EOF (1)
        throw BundleError.verification("\(what): \(message(archive))")
    }

    static func message(_ archive: OpaquePointer?) -> String {
        guard let archive, let text = archive_error_string(archive) else { return "unknown libarchive error" }
        return String(cString: text)
    }
}
