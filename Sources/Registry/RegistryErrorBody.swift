import Foundation

/// The JSON error envelope of the distribution spec: `{"errors":[{"code":..,"message":..}]}`.
struct RegistryErrorBody: Decodable {
    struct Entry: Decodable {
        let code: String?
        let message: String?
    }
    let errors: [Entry]?

    /// A short summary, e.g. `MANIFEST_UNKNOWN: manifest unknown`, or nil.
    static func summary(_ bytes: [UInt8]) -> String? {
        guard !bytes.isEmpty else { return nil }
        if let body = try? JSONDecoderFactory.decode(RegistryErrorBody.self, from: bytes), let errors = body.errors, !errors.isEmpty {
            let text = errors.prefix(3).map { [$0.code, $0.message].compactMap { $0 }.joined(separator: ": ") }.joined(separator: "; ")
            // A registry's message may hold line breaks; an error stays one line.
            return text.split(whereSeparator: \.isNewline).joined(separator: " ")
        }
        // A proxy's HTML page: its title says it ("413 Request Entity Too Large").
        if let title = htmlTitle(bytes) { return "an HTML page: \(title)" }
        // Otherwise keep a short printable prefix so other errors are still recognisable.
        let text = String(decoding: bytes.prefix(200), as: UTF8.self)
            .filter { !$0.isNewline }
            .trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? nil : text
    }

    /// The `<title>` of an HTML page, one line, at most 120 characters.
    static func htmlTitle(_ bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes.prefix(4096), as: UTF8.self)
        guard let open = text.range(of: "<title>", options: .caseInsensitive),
              let close = text.range(of: "</title>", options: .caseInsensitive, range: open.upperBound..<text.endIndex) else { return nil }
        let title = text[open.upperBound..<close.lowerBound].split(whereSeparator: { $0.isNewline || $0 == "\t" }).joined(separator: " ")
            .trimmingCharacters(in: .whitespaces)
        return title.isEmpty ? nil : String(title.prefix(120))
    }
}
