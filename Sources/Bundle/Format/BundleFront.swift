import Foundation
import OCI

/// The front every reader starts with: the signature slot and the manifest entry's bytes, read
/// from a stream, leaving the tar reader positioned after the manifest.
struct BundleFront {
    let slot: SignatureSlot
    let tar: TarReader
    let manifestEntry: TarReader.Entry
    let manifestBytes: [UInt8]

    init(stream: BundleStream) throws {
        let name = stream.name
        // A file that starts like a bundle but ends early is a truncated copy; anything else is
        // not a bundle at all.
        let magic = (try? stream.readExact(4, what: "the signature slot")) ?? []
        guard magic.count == 4, SkippableFrame.readUInt32(magic) == SkippableFrame.signatureMagic else {
            throw BundleError.verification("\(name) is not an airlock bundle (it does not start with a signature slot)")
        }
        let rest = try stream.readExact(SkippableFrame.headerSize + SignatureSlot.size - 4, what: "the signature slot")
        let parsed: Result<SignatureSlot, BundleError> = Result { () throws(BundleError) in try SignatureSlot.parse(magic + rest) }
        let bundlePath = stream.source.bundlePath
        if case .failure = parsed, SigningJournal.exists(for: bundlePath) {
            throw BundleError.verification("the signature slot of \(name) is damaged, and an interrupted airlock sign left \(SigningJournal.path(for: bundlePath)) beside it: run airlock sign \(name) --key KEY again to finish that signing")
        }
        slot = try parsed.get()
        let firstEntry: TarReader.Entry?
        do {
            tar = try TarReader { try stream.next() }
            firstEntry = try tar.next()
        } catch {
            if stream.endedBeforeData { throw BundleError.truncated(name, "nothing follows the signature slot") }
            throw error
        }
        guard let first = firstEntry else { throw BundleError.verification("\(name) holds no entries") }
        guard first.name == BundleManifest.entryName, first.isRegularFile else {
            throw BundleError.verification("the first entry of \(name) is '\(first.name)', not the bundle manifest")
        }
        manifestEntry = first
        manifestBytes = try tar.readAll(size: first.size, what: "the bundle manifest")
        if let table = stream.source.table, try Digest.of(manifestBytes) != table.manifestDigest {
            throw BundleError.verification("\(PartsTable.tablePath(bundlePath)) belongs to another bundle (manifest \(table.manifestDigest.short)), not to the one in \(stream.source.firstPath)")
        }
    }
}
