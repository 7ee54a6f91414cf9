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

/// Writes tar entries through libarchive (pax-restricted: plain ustar unless a field needs pax),
/// unblocked, so every byte of an entry reaches `sink` by the time the entry is finished.
/// Deterministic: fixed owner, modes and mtime.
final class TarWriter {
    private let archive: OpaquePointer
    private let box: SinkBox
    private let mtime: Int64

    final class SinkBox {
        var sink: (UnsafeRawBufferPointer) throws -> Void
        var error: (any Error)?
        var discarding = false
        init(_ sink: @escaping (UnsafeRawBufferPointer) throws -> Void) { self.sink = sink }
    }

    /// `gzip`: compress the stream, with no time in the gzip header (so the bytes depend only on the entries).
    init(mtime: Int64, gzip: Bool = false, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws(BundleError) {
        guard let archive = archive_write_new() else { throw BundleError.library("cannot create a tar writer") }
        self.archive = archive
        self.box = SinkBox(sink)
        self.mtime = mtime
        try ArchiveError.check(archive_write_set_format_pax_restricted(archive), archive, "choosing the tar format")
        if gzip {
            try ArchiveError.check(archive_write_add_filter_gzip(archive), archive, "adding gzip")
            try ArchiveError.check(archive_write_set_filter_option(archive, "gzip", "timestamp", nil), archive, "leaving the time out of gzip")
            // Speed over size: what it carries is mostly compressed already (and zstd follows).
            try ArchiveError.check(archive_write_set_filter_option(archive, "gzip", "compression-level", "1"), archive, "choosing the gzip level")
        }
        try ArchiveError.check(archive_write_set_bytes_per_block(archive, 0), archive, "unblocking tar output")
        let context = Unmanaged.passUnretained(box).toOpaque()
        let status = archive_write_open2(archive, context, nil, { _, context, buffer, length in
            guard let context, let buffer else { return -1 }
            let box = Unmanaged<SinkBox>.fromOpaque(context).takeUnretainedValue()
            if box.discarding { return la_ssize_t(length) }
            do {
                try box.sink(UnsafeRawBufferPointer(start: buffer, count: length))
                return la_ssize_t(length)
            } catch {
                box.error = error
                return -1
            }
        }, nil, nil)
        try ArchiveError.check(status, archive, "opening the tar writer")
    }

    deinit { archive_write_free(archive) }

    private func rethrow(_ code: Int32, _ what: String) throws {
        if let error = box.error { throw error }
        try ArchiveError.check(code, archive, what)
    }

    func file(_ name: String, size: Int64, mode: Int32 = 0o644) throws {
        try header(name, size: size, type: airlock_AE_IFREG, mode: mode)
    }

    func directory(_ name: String) throws {
        try header(name, size: 0, type: airlock_AE_IFDIR, mode: 0o755)
        try finishEntry()
    }

    func symlink(_ name: String, target: String) throws {
        try header(name, size: 0, type: airlock_AE_IFLNK, mode: 0o777, linkTarget: target)
        try finishEntry()
    }

    private func header(_ name: String, size: Int64, type: UInt32, mode: Int32, linkTarget: String? = nil) throws {
        guard let entry = archive_entry_new() else { throw BundleError.library("cannot create a tar entry") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname(entry, name)
        if let linkTarget { archive_entry_set_symlink(entry, linkTarget) }
        archive_entry_set_size(entry, size)
        archive_entry_set_filetype(entry, type)
        archive_entry_set_perm(entry, mode_t(mode))
        archive_entry_set_mtime(entry, time_t(mtime), 0)
        archive_entry_set_uid(entry, 0)
        archive_entry_set_gid(entry, 0)
        try rethrow(archive_write_header(archive, entry), "writing the tar header for \(name)")
    }

    func data(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        let written = archive_write_data(archive, bytes.baseAddress, bytes.count)
        if let error = box.error { throw error }
        guard written == bytes.count else { throw BundleError.library("tar write: \(ArchiveError.message(archive))") }
    }

    func finishEntry() throws {
        try rethrow(archive_write_finish_entry(archive), "finishing a tar entry")
    }

    /// Writes the end-of-archive marker to the sink.
    func finishArchive() throws {
        try rethrow(archive_write_close(archive), "closing the tar stream")
    }

    /// Closes without emitting the end-of-archive marker (for a part of a larger stream).
    func abandonTrailer() {
        box.discarding = true
        archive_write_close(archive)
    }
}

/// Reads tar entries through libarchive from a pull-based byte source (tar only, no filters).
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
