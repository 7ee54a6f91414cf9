import Bundle
import Foundation
import Logging
import NIOCore
import OCI
import Registry

/// The outcome of a push, per image and in total.
/// `push --json` (format-spec/json/push.schema.json).
public struct PushResult: Sendable, Encodable {
    /// An image as every `--json` document shows one (see `ImageReport`), plus where it went.
    public struct Image: Sendable, Encodable {
        public let name: String
        public let mediaType: String
        public let size: Int64
        public let platforms: [String]
        public let source: String
        public let sourceDigest: Digest
        /// The manifest digest written to the target (differs from `sourceDigest` for a platform-filtered index).
        public let digest: Digest
        public let target: String
        public let targetByDigest: String
        public let pull: String
        public let pullByDigest: String
        /// True when the target's tag already named this manifest: nothing was sent for it.
        public let alreadyPresent: Bool
        /// `chart` or `file`; nil for a container image (as `ImageReport` has it).
        public let kind: String?
        public let error: String?
    }

    /// The bundle pushed (`-` for standard input).
    public let path: String
    /// The bundle's name, version and manifest digest, as every `--json` document names a bundle.
    public let name: String
    public let version: String
    public let manifestDigest: Digest
    public let images: [Image]
    public let blobsUploaded: Int
    public let blobsMounted: Int
    public let blobsPresent: Int
    /// Images whose tag already named the right manifest: nothing was sent for them.
    public let imagesAlreadyPresent: Int
    public let bytesUploaded: Int64
    /// Tags that named another manifest before this push and now name the bundle's.
    public let tagsMoved: [TagMove]
    /// Signatures, SBOMs and attestations written (or found present) at the target.
    public let evidence: [Pusher.EvidencePush]
    /// `--on-existing-tag skip`: tags that already existed and were left as they were.
    public let tagsSkipped: [TagSkip]
    /// The ledger record written last (absent when images failed; with `error` when it could not be written).
    public var ledger: LedgerWrite?
    /// How blobs went up: whole, or in chunks (and why).
    public var uploads = Uploads(mode: "whole", chunkSize: nil, reason: nil)

    public struct Uploads: Sendable, Encodable {
        /// `whole` (one PUT per blob) or `chunked` (PATCHes of `chunkSize`).
        public let mode: String
        public let chunkSize: Int?
        /// `--chunk-size`, or `bodyLimit`: the registry or its proxy refused larger request bodies.
        public let reason: String?
    }

    public struct TagMove: Sendable, Encodable {
        public let target: String
        public let oldDigest: Digest
        public let newDigest: Digest
        /// The recorded bundle whose image the tag named (`NAME VERSION`), when the ledger knows one.
        public let ownedBy: String?
    }

    public struct TagSkip: Sendable, Encodable {
        public let target: String
        /// What the tag names (and still names).
        public let digest: Digest
        /// True when that is the bundle's image.
        public let matches: Bool
    }

    public struct LedgerWrite: Sendable, Encodable {
        /// `REG/NS/airlock-ledger:TAG`.
        public let target: String
        /// Set when --allow-downgrade pushed over this newer (or unordered) recorded version.
        public let downgradedFrom: String?
        /// Why the record could not be written (the images were pushed).
        public var error: String?
    }

    public var failed: [Image] { images.filter { $0.error != nil } }
}
