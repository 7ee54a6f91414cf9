// Fuzz targets for the code that reads untrusted input: the bundle reader (one-pass verifier and
// random access), the bundle manifest, OCI manifests and indexes, references and digests, the
// WWW-Authenticate parser, a folder artifact's archive as extract unpacks it, and the seek table.
//
// Built with `-sanitize=fuzzer -DFUZZING` (scripts/fuzz.sh), libFuzzer drives
// `LLVMFuzzerTestOneInput`; the target is chosen by AIRLOCK_FUZZ_TARGET. Built normally, this is a
// replayer: `airlock-fuzz TARGET FILE...` runs saved inputs once each (the regression tests do).
import Bundle
import Foundation
import OCI
import Registry

enum FuzzTarget: String, CaseIterable {
    case bundle, manifest, challenge, reference
    case folderTar = "folder-tar", seekTable = "seek-table"

    /// Feeds one input to the code under test; every failure must be a thrown error, never a trap.
    func run(_ bytes: [UInt8]) {
        switch self {
        case .bundle:
            FuzzedBundle.check(bytes)
        case .manifest:
            _ = try? ManifestDocument(bytes: bytes)
            _ = try? BundleManifest.checkVersion(bytes)
            _ = try? BundleManifest.decode(bytes)
        case .challenge:
            _ = AuthChallenge.parse(String(decoding: bytes, as: UTF8.self))
        case .reference:
            let text = String(decoding: bytes, as: UTF8.self)
            _ = try? Reference(parsing: text)
            _ = try? Digest(parsing: text)
        case .folderTar:
            FuzzedFolder.check(bytes)
        case .seekTable:
            FuzzedSeekTable.check(bytes)
        }
    }
}

/// A bundle from bytes: through the one-pass verifier (no keys required, so every later check is
/// reached) and through random access by the seek table.
enum FuzzedBundle {
    static let path = "\(FuzzScratch.directory)/airlock-fuzz-\(getpid()).bundle"

    static func check(_ bytes: [UInt8]) {
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { return }
        if let input = try? BundleInput.open(path) {
            _ = try? BundleVerifier(requiredKeys: []).verify(input: input)
        }
        // As push reads a file: the structure first, then each blob through its own frames.
        if let file = try? BundleFile(path: path) {
            _ = try? file.checkStructure()
            for blob in file.header.manifest.blobs where file.contains(blob.digest) {
                _ = try? file.read(blob)
            }
        }
    }
}

/// Where targets that need files keep them: in memory when the machine has /dev/shm.
enum FuzzScratch {
    static let directory = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : FileManager.default.temporaryDirectory.path
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzzedTarget?.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

/// The target AIRLOCK_FUZZ_TARGET names, looked up once (not on every input).
let fuzzedTarget = FuzzTarget(rawValue: ProcessInfo.processInfo.environment["AIRLOCK_FUZZ_TARGET"] ?? "bundle")

#if FUZZING
// SwiftPM links an executable's entry point as `<module>_main`; under libFuzzer that entry point
// hands control to the fuzzer driver.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

@_cdecl("airlock_fuzz_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    guard fuzzedTarget != nil else {
        FileHandle.standardError.write(Data("airlock-fuzz: AIRLOCK_FUZZ_TARGET must be one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: " "))\n".utf8))
        return 2
    }
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments, fuzzOneInput)
}
#else
@main
struct Replay {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
            FileHandle.standardError.write(Data("usage: airlock-fuzz \(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")) FILE...\n".utf8))
            exit(2)
        }
        for path in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("airlock-fuzz: cannot read \(path)\n".utf8))
                exit(6)
            }
            target.run(Array(data))
        }
    }
}
#endif
