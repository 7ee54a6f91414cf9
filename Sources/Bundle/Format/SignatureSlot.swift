import Foundation
import OCI

/// The signature slot: a skippable frame of fixed size at offset 0 of every bundle, holding the
/// signatures as JSON padded with NUL bytes. Fixed size so `sign` rewrites only these bytes.
public struct SignatureSlot: Codable, Sendable, Equatable {
    public static let size = 65536
    public static let magic = "airlock-signatures"

    public let slot: String
    public var signatures: [BundleSignature]
    /// Countersigners' recorded verdicts (`sign --policy`, format-spec §14.4); nil: none, and the
    /// member is absent, so a slot without any encodes as it always has.
    public var attestations: [PolicyAttestation]?

    public init(signatures: [BundleSignature] = [], attestations: [PolicyAttestation]? = nil) {
        self.slot = Self.magic
        self.signatures = signatures
        self.attestations = attestations?.isEmpty == true ? nil : attestations
    }

    /// The whole frame: header + JSON + padding.
    func frame() throws(BundleError) -> [UInt8] {
        guard let json = try? CanonicalJSON.compact(self) else { throw BundleError.library("cannot encode signatures") }
        guard json.count <= Self.size else {
            throw BundleError.usage("the signature slot is full (\(signatures.count) signatures); the bundle cannot take another")
        }
        return SkippableFrame.header(magic: SkippableFrame.signatureMagic, size: Self.size)
            + Array(json) + [UInt8](repeating: 0, count: Self.size - json.count)
    }

    /// Whether `prefix` (a file's first bytes) starts the way every bundle does: the slot's frame header.
    public static func startsBundle(_ prefix: [UInt8]) -> Bool {
        prefix.count >= SkippableFrame.headerSize
            && SkippableFrame.readUInt32(prefix) == SkippableFrame.signatureMagic
            && SkippableFrame.readUInt32(prefix.dropFirst(4)) == UInt32(size)
    }

    static func parse(_ frame: [UInt8]) throws(BundleError) -> SignatureSlot {
        guard frame.count == SkippableFrame.headerSize + size,
              SkippableFrame.readUInt32(frame) == SkippableFrame.signatureMagic,
              SkippableFrame.readUInt32(frame.dropFirst(4)) == UInt32(size)
        else {
            throw BundleError.verification("the file does not start with an airlock signature slot (not a bundle, or damaged)")
        }
        let payload = frame.dropFirst(SkippableFrame.headerSize)
        let json = payload.prefix { $0 != 0 }
        guard payload.dropFirst(json.count).allSatisfy({ $0 == 0 }) else {
            throw BundleError.verification("the signature slot has data after its padding started")
        }
        guard let slot = try? JSONDecoder().decode(SignatureSlot.self, from: Data(json)), slot.slot == magic else {
            throw BundleError.verification("the signature slot is damaged")
        }
        return slot
    }
}

extension SignatureSlot {
    /// The encoded frame (exposed for tests and tools that inspect the slot).
    public func frameForTesting() throws(BundleError) -> [UInt8] { try frame() }
}

/// Rewrites the signature slot at offset 0 of an open bundle.
func writeSlot(_ slot: SignatureSlot, fd: Int32, path: String) throws(BundleError) {
    let frame = try slot.frame()
    let written = frame.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    guard written == frame.count else {
        throw BundleError.system("write signatures to", path)
    }
}
