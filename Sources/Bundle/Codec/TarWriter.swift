import CArchive

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
