/// Skippable frames: magic 0x184D2A50...5F, u32 little-endian size, payload.
enum SkippableFrame {
    static let signatureMagic: UInt32 = 0x184D_2A5A
    static let seekTableMagic: UInt32 = 0x184D_2A5E
    static let headerSize = 8

    static func isSkippable(_ magic: UInt32) -> Bool { magic & 0xFFFF_FFF0 == 0x184D_2A50 }

    static func header(magic: UInt32, size: Int) -> [UInt8] {
        littleEndian(magic) + littleEndian(UInt32(size))
    }

    static func littleEndian(_ value: UInt32) -> [UInt8] {
        (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    static func littleEndian64(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    static func readUInt32<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        bytes.prefix(4).enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * $1.offset) }
    }

    static func readUInt64<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
        bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * $1.offset) }
    }
}
