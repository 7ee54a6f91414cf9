import CArchive

/// Reads tar entries through libarchive from a pull-based byte source (plain tar, or gzip'd with `gzip`).
final class TarReader {
    private let archive: OpaquePointer
    private let box: SourceBox

    final class SourceBox {
        let source: () throws -> UnsafeRawBufferPointer
        var error: (any Error)?
        init(_ source: @escaping () throws -> UnsafeRawBufferPointer) { self.source = source }
    }

    struct Entry {
        let name: String
        let size: Int64
        let isRegularFile: Bool
        let isDirectory: Bool
        /// A symbolic link's target (nil for anything else).
        let symlinkTarget: String?
        /// Permission bits as stored.
        let permissions: UInt32
        let typeDescription: String
        /// Offset of the entry's header in the tar stream.
        let headerOffset: Int64
    }

    /// `source` returns the next bytes (empty at end); the buffer must stay valid until the next call.
    /// `gzip`: the stream is a gzip-compressed tar (a chart, a folder of files).
    init(gzip: Bool = false, source: @escaping () throws -> UnsafeRawBufferPointer) throws(BundleError) {
        guard let archive = archive_read_new() else { throw BundleError.library("cannot create a tar reader") }
        self.archive = archive
        self.box = SourceBox(source)
        try ArchiveError.check(archive_read_support_format_tar(archive), archive, "enabling tar")
        if gzip { try ArchiveError.check(archive_read_support_filter_gzip(archive), archive, "enabling gzip") }
        let context = Unmanaged.passUnretained(box).toOpaque()
        let status = archive_read_open(archive, context, nil, { _, context, buffer in
            guard let context, let buffer else { return -1 }
            let box = Unmanaged<SourceBox>.fromOpaque(context).takeUnretainedValue()
            do {
                let bytes = try box.source()
                buffer.pointee = bytes.baseAddress.map { UnsafeRawPointer($0) }
                return la_ssize_t(bytes.count)
            } catch {
                box.error = error
                return -1
            }
        }, nil)
        if let error = box.error as? BundleError { throw error }
        try ArchiveError.check(status, archive, "the tar stream is damaged")
    }

    deinit { archive_read_free(archive) }

    private func rethrow(_ what: String) -> any Error {
        if let error = box.error { return error }
        return BundleError.verification("\(what): \(ArchiveError.message(archive))")
    }

    /// The next entry, or nil at the end-of-archive marker.
    func next() throws -> Entry? {
        var entry: OpaquePointer?
        let status = archive_read_next_header(archive, &entry)
        if status == ARCHIVE_EOF { return nil }
        // ARCHIVE_RETRY (a bad header checksum) is damage too, not an entry.
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else { throw rethrow("the tar stream is damaged") }
        let name = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
        let type = archive_entry_filetype(entry)
        let description: String = switch type {
        case airlock_AE_IFREG: "file"
        case airlock_AE_IFDIR: "directory"
        case airlock_AE_IFLNK: "symbolic link"
        case airlock_AE_IFCHR, airlock_AE_IFBLK: "device"
        case airlock_AE_IFIFO: "FIFO"
        case airlock_AE_IFSOCK: "socket"
        default: archive_entry_hardlink(entry) != nil ? "hard link" : "unknown entry"
        }
        let isHardlink = archive_entry_hardlink(entry) != nil
        let headerOffset = archive_read_header_position(archive)
        return Entry(
            name: name,
            size: archive_entry_size(entry),
            isRegularFile: type == airlock_AE_IFREG && !isHardlink,
            isDirectory: type == airlock_AE_IFDIR,
            symlinkTarget: type == airlock_AE_IFLNK ? archive_entry_symlink(entry).map { String(cString: $0) } : nil,
            permissions: UInt32(archive_entry_perm(entry)),
            typeDescription: isHardlink ? "hard link" : description,
            headerOffset: headerOffset
        )
    }

    /// Bytes of the tar stream taken so far (at the end: through the end-of-archive marker).
    var position: Int64 { archive_filter_bytes(archive, 0) }

    /// Reads the current entry's data into `buffer`; 0 at its end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = archive_read_data(archive, buffer.baseAddress, buffer.count)
        guard count >= 0 else { throw rethrow("the tar stream is damaged") }
        return count
    }
}
