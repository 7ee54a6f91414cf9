import Bundle
import ArgumentParser
import Foundation

func loadPublicKeys(_ paths: [String]) throws -> [PublicKey] {
    try paths.map { try PublicKey.load(path: $0) }
}
