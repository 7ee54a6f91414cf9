/// Counts in messages: `"\(3, noun: "image")"` is "3 images", `"\(1, noun: "image")"` "1 image".
/// Nouns with an irregular plural give it: `"\(n, noun: "repository", plural: "repositories")"`.
extension String.StringInterpolation {
    public mutating func appendInterpolation<Count: BinaryInteger>(_ count: Count, noun: String, plural: String? = nil) {
        appendLiteral("\(count) \(count == 1 ? noun : plural ?? noun + "s")")
    }
}
