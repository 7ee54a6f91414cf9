/// The outcome of putting one blob in place.
public enum BlobPushResult: Sendable, Equatable {
    case alreadyPresent
    case mounted
    case uploaded(bytes: Int64)
}
