import NIOCore
import OCI

/// Connection settings shared by every registry one command talks to.
public struct TransportOptions: Sendable {
    /// Talk plain HTTP to every registry (`--plain-http`).
    public var plainHTTP = false
    /// `http` or `https` for a host the user named with a scheme (`--to https://REG`); it wins
    /// over `plainHTTP` and the loopback fallback for that host.
    public var schemes: [String: String] = [:]
    /// PEM files of extra CAs to trust (`--ca-file`, repeatable): all of them are trusted.
    public var caFiles: [String] = []
    /// Accept any certificate (`--insecure-skip-tls-verify`).
    public var insecureSkipTLSVerify = false
    public var connectTimeout: TimeAmount = .seconds(20)
    /// A body that sends nothing for this long is a stalled connection.
    public var readTimeout: TimeAmount = .seconds(90)
    /// The longest a request may wait for its answer's head, and a small body (manifest, tag
    /// page, token) to arrive whole (`--request-timeout`). Blob uploads, which stream for as
    /// long as they take, have none: the write timeout and the pace below cover them.
    public var requestTimeout: TimeAmount = .seconds(300)
    /// The slowest a blob body may flow, in bytes a second averaged over `rateWindow` (`--min-rate`).
    public var minimumRate: Int64 = 1024
    public var rateWindow: TimeAmount = .seconds(60)
    /// Upload every blob in chunks of this many bytes (`--chunk-size`) instead of one PUT; nil
    /// uploads whole and falls back to chunks when a body is refused as too large.
    public var chunkSize: Int?
    public var retry = RetryPolicy.default
    public var userAgent = "airlock/\(AirlockVersion.current)"

    public init() {}
}
