import Foundation
import OCI

/// Reading the unsigned table (§3.5): its size is bounded by what the bundle's manifest needs
/// before a byte of it is parsed, and it holds exactly the members the format defines, each once,
/// so nothing unsigned can carry data across the gap, nor cost more memory than the table needs.
extension SeekTable {
    /// A member the format does not define, found while decoding.
    struct UnknownMember: Error {
        let key: String
    }

    /// The most JSON bytes a seek table of a bundle with this manifest needs: one entry per file
    /// (at most 256 bytes each, digests and 2^50 offsets included) and one `[compressed,
    /// decompressed]` pair (at most 48 bytes) per frame, the frame count following from the 4 MiB
    /// cut of §3.2 with the largest headers a blob's entry may have. Capped at the 64 MiB every
    /// skippable frame is held to.
    public static func maximumJSONSize(for manifest: BundleManifest, manifestSize: Int) -> Int {
        let frame: Int64 = 4 << 20, header: Int64 = 64 << 10, cap: Int64 = 64 << 20
        let bound: Int64 = 1 << 50
        var frames: Int64 = 2 + (Int64(manifestSize) + min(max(manifest.index.size, 0), bound) + 5 * header) / frame
        for blob in manifest.blobs {
            frames += (min(max(blob.size, 0), bound) + header + 512) / frame + 1
            if frames > cap { return Int(cap) }
        }
        return Int(min(cap, 1024 + Int64(3 + manifest.blobs.count) * 256 + frames * 48))
    }

    /// The table in `json`, refused when longer than `limit` bytes, malformed, with a member twice
    /// or with a member the format does not define. `name` names the bundle in errors.
    public static func decode(_ json: [UInt8], limit: Int, name: String) throws(BundleError) -> SeekTable {
        guard json.count <= limit else { throw oversized(json.count, limit: limit, name: name) }
        let table: SeekTable
        do {
            table = try JSONDecoder().decode(SeekTable.self, from: Data(json))
        } catch let unknown as UnknownMember {
            throw BundleError.verification("the seek table of \(name) holds the member '\(unknown.key.prefix(64))', which the format does not define")
        } catch {
            throw BundleError.verification("the seek table of \(name) is damaged")
        }
        if let key = JSONKeys.firstDuplicate(in: json) {
            throw BundleError.verification("the seek table of \(name) holds the member '\(key.prefix(64))' twice")
        }
        return table
    }

    /// The refusal of a table longer than its bundle needs.
    static func oversized(_ length: Int, limit: Int, name: String) -> BundleError {
        .verification("the seek table of \(name) is \(length) bytes, more than the \(limit) its manifest needs: it carries data the format does not define")
    }

    /// Throws `UnknownMember` for a member of the object `decoder` reads that is not in `known`.
    static func refuseUnknownMembers(_ decoder: any Decoder, known: Set<String>) throws {
        let container = try decoder.container(keyedBy: MemberName.self)
        if let extra = container.allKeys.first(where: { !known.contains($0.stringValue) }) {
            throw UnknownMember(key: extra.stringValue)
        }
    }

    /// Any member name, to list what an object holds.
    struct MemberName: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

extension SeekTable {
    public init(from decoder: any Decoder) throws {
        try Self.refuseUnknownMembers(decoder, known: Set(CodingKeys.allCases.map(\.rawValue)))
        let members = try decoder.container(keyedBy: CodingKeys.self)
        seekTable = try members.decode(Int.self, forKey: .seekTable)
        dataOffset = try members.decode(Int64.self, forKey: .dataOffset)
        frames = try members.decode([[Int64]].self, forKey: .frames)
        entries = try members.decode([Entry].self, forKey: .entries)
    }
}

extension SeekTable.Entry {
    public init(from decoder: any Decoder) throws {
        try SeekTable.refuseUnknownMembers(decoder, known: Set(CodingKeys.allCases.map(\.rawValue)))
        let members = try decoder.container(keyedBy: CodingKeys.self)
        name = try members.decode(String.self, forKey: .name)
        frame = try members.decode(Int.self, forKey: .frame)
        frameCount = try members.decode(Int.self, forKey: .frameCount)
        offset = try members.decode(Int64.self, forKey: .offset)
        size = try members.decode(Int64.self, forKey: .size)
    }
}
