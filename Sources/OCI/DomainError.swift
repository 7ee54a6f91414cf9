/// An error with its own user-facing sentence, raised by airlock's code rather than by the
/// network stack: layers that classify transport failures pass these through untouched.
public protocol DomainError: Error, CustomStringConvertible {}
