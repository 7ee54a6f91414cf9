import Foundation
import OCI

extension SeekTable {
    /// An entry's data starts one header (with any pax header: whole 512-byte blocks, at most
    /// 64 KiB) after the header's start (§8 step 10).
    static func isHeaderGap(_ gap: Int64) -> Bool { gap >= 512 && gap % 512 == 0 && gap <= 64 << 10 }

    /// Where an entry's data ends once padded to whole 512-byte tar blocks (its offset is on a block).
    static func paddedEnd(of entry: Entry) -> Int64 { entry.offset + (entry.size + 511) / 512 * 512 }

    /// Holds the table to the shape format-spec §3.2–3.5 fixes for a bundle with this signed
    /// manifest, from the table alone: exactly the manifest, oci-layout, index.json and every
    /// stored blob, in that order and with those sizes; the metadata in frames of its own; each
    /// blob's entry (header, data, padding) alone in whole frames; then one 1024-byte frame for
    /// the end-of-archive marker. A reader that then reads the frames it needs (not all of them)
    /// still refuses every bundle whose structure is wrong.
    func checkShape(of manifest: BundleManifest, manifestSize: Int, layout: Layout, name: String) throws(BundleError) {
        guard dataOffset == Int64(SkippableFrame.headerSize + SignatureSlot.size) else {
            throw BundleError.verification("the seek table of \(name) does not start its frames after the signature slot")
        }
        let expected = [(BundleManifest.entryName, Int64(manifestSize)), ("oci-layout", Int64(OCILayout.layoutFile.count)), ("index.json", manifest.index.size)]
            + manifest.blobs.map { (OCILayout.blobPath($0.digest), $0.size) }
        let differs = entries.indices.first { $0 < expected.count && (entries[$0].name != expected[$0].0 || entries[$0].size != expected[$0].1) }
        let shorter = entries.count == expected.count ? nil : min(entries.count, expected.count)
        if let at = differs ?? shorter {
            let names = Set(entries.map(\.name))
            if let absent = manifest.blobs.first(where: { !names.contains(OCILayout.blobPath($0.digest)) }) {
                throw BundleError.verification("the seek table of \(name) does not list blob \(absent.digest), which its signed manifest lists (truncated or tampered)")
            }
            guard at < entries.count else {
                throw BundleError.verification("the seek table of \(name) does not list \(expected[at].0), which the format requires")
            }
            let found = "the seek table of \(name) lists '\(entries[at].name)' (\(entries[at].size) bytes)"
            guard at < expected.count else { throw BundleError.verification("\(found) after its last blob: an unexpected entry") }
            throw BundleError.verification("\(found) where its signed manifest and the format put '\(expected[at].0)' (\(expected[at].1) bytes): an unexpected, repeated or misordered entry")
        }
        guard frames.allSatisfy({ $0[1] > 0 }) else { throw BundleError.verification("\(name) has an empty data frame") }
        let trailer = frames.count - 1
        guard trailer > 0, frames[trailer][1] == 1024 else {
            throw BundleError.verification("\(name) has data after the end-of-archive marker, or no marker frame")
        }
        // Group boundaries: metadata [0, first blob's frame), each blob [its frame, the next's), trailer.
        let blobEntries = entries.dropFirst(3)
        let starts = blobEntries.map(\.frame) + [trailer]
        for entry in entries.prefix(3) {
            let (frame, count) = Self.frameRange(offset: entry.offset, size: entry.size, frames: frames)
            guard entry.frame == frame, entry.frameCount == count, frame + count <= starts[0] else {
                throw BundleError.verification("the seek table of \(name) misplaces \(entry.name)")
            }
        }
        for (index, entry) in blobEntries.enumerated() {
            let header = entry.offset - layout.streamOffsets[entry.frame]
            guard Self.isHeaderGap(header), entry.frame + entry.frameCount == starts[index + 1],
                  Self.paddedEnd(of: entry) == layout.streamOffsets[starts[index + 1]]
            else {
                throw BundleError.verification("the seek table of \(name) misplaces \(entry.name) (each blob's entry fills whole frames of its own)")
            }
        }
    }

    /// Holds the table to where a sequential reader found the entries (`observed`: every entry's
    /// name, header offset and size, directories included, in stream order): data right after its
    /// header (whole 512-byte blocks), the next header right after the padding, each blob's header
    /// at the start of its first frame.
    func checkPlacement(_ observed: [(name: String, header: Int64, size: Int64)], layout: Layout, name: String) throws(BundleError) {
        let files = observed.enumerated().filter { !$0.element.name.hasSuffix("/") }
        for (entry, (index, actual)) in zip(entries, files) {
            let nextHeader = index + 1 < observed.count ? observed[index + 1].header : nil
            let gap = entry.offset - actual.header
            guard entry.name == actual.name, entry.size == actual.size, Self.isHeaderGap(gap),
                  nextHeader.map({ Self.paddedEnd(of: entry) == $0 }) ?? true,
                  !entry.name.hasPrefix("blobs/") || actual.header == layout.streamOffsets[entry.frame]
            else {
                throw BundleError.verification("the seek table of \(name) misplaces \(entry.name)")
            }
        }
    }
}
