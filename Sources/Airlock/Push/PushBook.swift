import Bundle
import Foundation
import Logging
import NIOCore
import OCI
import Registry

/// What a push has done so far: counts, and the repositories that failed (with why).
actor PushBook {
    var uploaded = 0, mounted = 0, present = 0
    var bytes: Int64 = 0
    var reasons: [String: String] = [:]

    func record(_ result: BlobPushResult) {
        switch result {
        case .alreadyPresent: present += 1
        case .mounted: mounted += 1
        case .uploaded(let count):
            uploaded += 1
            bytes += count
        }
    }

    var totals: (uploaded: Int, mounted: Int, present: Int, bytes: Int64) { (uploaded, mounted, present, bytes) }

    func fail(_ repository: String, _ reason: String) { if reasons[repository] == nil { reasons[repository] = reason } }
    func isFailed(_ repository: String) -> Bool { reasons[repository] != nil }
    func reason(_ repository: String) -> String? { reasons[repository] }
}
