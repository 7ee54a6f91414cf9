import Foundation
import NIOSSL

/// A `--ca-file`: PEM certificates to trust. Says which of the usual mistakes it is: a path that
/// cannot be read, a file that is not PEM (DER, a text note), or PEM that holds no certificate (a key).
enum CAFile {
    static func certificates(_ path: String) throws -> [NIOSSLCertificate] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let cause = error as NSError
            let why = switch (cause.domain, cause.code) {
            case (NSCocoaErrorDomain, CocoaError.fileReadNoSuchFile.rawValue), (NSPOSIXErrorDomain, Int(ENOENT)): "there is no such file"
            case (NSCocoaErrorDomain, CocoaError.fileReadNoPermission.rawValue), (NSPOSIXErrorDomain, Int(EACCES)): "permission denied"
            default: "it is not a readable file"
            }
            throw RegistryError.badConfiguration("--ca-file \(path) cannot be read: \(why)")
        }
        let text = String(decoding: data, as: UTF8.self)
        guard text.contains("-----BEGIN ") else {
            throw RegistryError.badConfiguration("--ca-file \(path) is not a PEM file (expected -----BEGIN CERTIFICATE----- blocks; convert DER with openssl x509 -inform der)")
        }
        guard text.contains("-----BEGIN CERTIFICATE-----") || text.contains("-----BEGIN TRUSTED CERTIFICATE-----") else {
            throw RegistryError.badConfiguration("--ca-file \(path) holds no certificate, only other PEM blocks (a key?); pass the CA's certificate")
        }
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMBytes(Array(data))
        } catch let error as NIOSSLError {
            throw RegistryError.badConfiguration("--ca-file \(path) holds a certificate that does not parse (\(error))")
        }
        guard !certificates.isEmpty else {
            throw RegistryError.badConfiguration("--ca-file \(path) holds no certificate, only other PEM blocks (a key?); pass the CA's certificate")
        }
        return certificates
    }
}
