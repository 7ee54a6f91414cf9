import Bundle
import Foundation
import OCI
import Testing
import TestSupport

struct KeyTests {
    @Test(arguments: KeyType.allCases)
    func signAndVerify(_ type: KeyType) throws {
        let key = try PrivateKey.generate(type)
        let message = Array("the exact manifest bytes".utf8)
        let signature = try key.sign(message)
        #expect(key.publicKey.verify(signature, of: message))
        #expect(!key.publicKey.verify(signature, of: message + [0x0a]))
        var flipped = signature
        flipped[flipped.count / 2] ^= 0x01
        #expect(!key.publicKey.verify(flipped, of: message))
        let other = try PrivateKey.generate(type)
        #expect(!other.publicKey.verify(signature, of: message))
        #expect(type == .ed25519 ? signature.count == 64 : signature.first == 0x30)  // raw vs DER
    }

    @Test(arguments: KeyType.allCases)
    func writeAndLoadWithPermissions(_ type: KeyType) throws {
        let directory = try TestPaths.temporaryDirectory("keys")
        let base = directory.appendingPathComponent("vendor").path
        let key = try PrivateKey.generate(type)
        let paths = try key.write(to: base, passphrase: nil)
        let attributes = try FileManager.default.attributesOfItem(atPath: paths.privatePath)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let text = try String(contentsOfFile: paths.privatePath, encoding: .utf8)
        #expect(text.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        #expect(try String(contentsOfFile: paths.publicPath, encoding: .utf8).hasPrefix("-----BEGIN PUBLIC KEY-----"))
        let loaded = try PrivateKey.load(path: paths.privatePath, passphrase: nil)
        let publicKey = try PublicKey.load(path: paths.publicPath)
        #expect(loaded.publicKey.id == key.publicKey.id)
        #expect(publicKey.id == key.publicKey.id)
        #expect(publicKey.verify(try loaded.sign([1, 2, 3]), of: [1, 2, 3]))
        // The key id is the SHA-256 of the DER SPKI, as openssl computes it.
        let der = try run("sh", ["-c", "openssl pkey -pubin -in '\(paths.publicPath)' -outform DER | sha256sum"])
        #expect(String(der.stdout.prefix(64)) == publicKey.id.hex)
        // Never overwrites.
        #expect(throws: BundleError.self) { try key.write(to: base, passphrase: nil) }
    }

    @Test func encryptedKeyNeedsTheRightPassphrase() throws {
        let directory = try TestPaths.temporaryDirectory("keys")
        let base = directory.appendingPathComponent("enc").path
        let key = try PrivateKey.generate(.ecdsaP256)
        let paths = try key.write(to: base, passphrase: "correct horse")
        #expect(try String(contentsOfFile: paths.privatePath, encoding: .utf8).contains("ENCRYPTED PRIVATE KEY"))
        #expect(try PrivateKey.load(path: paths.privatePath, passphrase: "correct horse").publicKey.id == key.publicKey.id)
        do {
            _ = try PrivateKey.load(path: paths.privatePath, passphrase: "wrong")
            Issue.record("a wrong passphrase must fail")
        } catch {
            #expect(error.description.contains("wrong passphrase"))
        }
        do {
            _ = try PrivateKey.load(path: paths.privatePath, passphrase: nil)
            Issue.record("a missing passphrase must fail")
        } catch {
            #expect(error.description.contains("encrypted"))
        }
    }

    @Test func rejectsOtherKeyKinds() throws {
        let directory = try TestPaths.temporaryDirectory("keys")
        let rsa = directory.appendingPathComponent("rsa.key").path
        try run("openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", rsa])
        #expect(throws: BundleError.self) { try PrivateKey.load(path: rsa, passphrase: nil) }
        let p384 = directory.appendingPathComponent("p384.key").path
        try run("openssl", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", p384])
        #expect(throws: BundleError.self) { try PrivateKey.load(path: p384, passphrase: nil) }
        let garbage = directory.appendingPathComponent("garbage.pub").path
        try "not a key".write(toFile: garbage, atomically: true, encoding: .utf8)
        #expect(throws: BundleError.self) { try PublicKey.load(path: garbage) }
        #expect(throws: BundleError.self) { try PublicKey.load(path: directory.appendingPathComponent("missing.pub").path) }
    }

    @Test func opensslKeysAreAccepted() throws {
        // Keys made by stock openssl work too (a vendor may already have one).
        let directory = try TestPaths.temporaryDirectory("keys")
        let key = directory.appendingPathComponent("o.key").path, pub = directory.appendingPathComponent("o.pub").path
        try run("openssl", ["genpkey", "-algorithm", "ED25519", "-out", key])
        try run("openssl", ["pkey", "-in", key, "-pubout", "-out", pub])
        let signer = try PrivateKey.load(path: key, passphrase: nil)
        #expect(try PublicKey.load(path: pub).verify(try signer.sign([7]), of: [7]))
    }
}

struct FormatPieceTests {
    @Test func signatureSlotRoundTripsAndHasAFixedSize() throws {
        let key = try PrivateKey.generate(.ed25519)
        let slot = SignatureSlot(signatures: [try BundleSignature.sign([1, 2, 3], with: key)])
        let encoded = try slot.frameForTesting()
        #expect(encoded.count == 8 + SignatureSlot.size)
        #expect(Array(encoded.prefix(4)) == [0x5a, 0x2a, 0x4d, 0x18])
    }

    @Test func slotFullIsAClearError() throws {
        let key = try PrivateKey.generate(.ecdsaP256)
        let one = try BundleSignature.sign([1], with: key)
        let slot = SignatureSlot(signatures: Array(repeating: one, count: 400))
        #expect(throws: BundleError.self) { try slot.frameForTesting() }
    }

    @Test func unknownMajorVersionIsRejected() throws {
        let future = #"{"mediaType":"application/vnd.airlock.bundle.manifest.v1+json","formatVersion":"2.0","name":"x"}"#
        let error = #expect(throws: BundleError.self) { try BundleManifest.decode(Array(future.utf8)) }
        guard case .unsupportedVersion(let message)? = error else {
            Issue.record("expected unsupportedVersion, got \(String(describing: error))")
            return
        }
        #expect(message.contains("2.0"))
        #expect(message.contains("upgrade"))
        #expect(throws: BundleError.self) { try BundleManifest.decode(Array(#"{"mediaType":"something/else","formatVersion":"1.0"}"#.utf8)) }
        #expect(throws: BundleError.self) { try BundleManifest.decode(Array("not json".utf8)) }
    }
}
