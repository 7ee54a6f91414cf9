import Airlock
import ArgumentParser
import Foundation
import NIOCore
import OCI

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a verified bundle as a read-only registry, straight from the file.",
        discussion: """
            Signatures and the bundle's structure are checked before it listens: a wrong key or a \
            damaged manifest exits 3 without opening a socket. Repositories appear under the names push \
            would write (--to-namespace and the naming options of push). Blobs stream from the bundle \
            through its seek table, each checked against its digest as it is sent: a damaged blob is cut \
            off before its last byte and refused afterwards. Writes get 405. One access-log line per \
            request on stderr (-q: none). A request head must arrive within --header-timeout, a \
            keep-alive connection may idle for --idle-timeout, and at most --max-connections are open. \
            Ctrl-C or SIGTERM stops accepting and gives transfers in flight 10 seconds to finish; \
            responses in that time close their connection.
            """
    )

    @Argument(help: "The bundle file.", completion: .file())
    var bundle: String

    @OptionGroup var signers: SignerKeyOptions

    @OptionGroup var cosign: CosignKeyOptions

    @Option(help: "Address and port to listen on (default 127.0.0.1:5000; 0.0.0.0:PORT for every interface; port 0 picks a free one).")
    var listen: String = "127.0.0.1:5000"

    @Option(help: "Serve the images under this namespace, as push --to REG/NAMESPACE would write them.")
    var toNamespace: String?

    @Option(help: "PEM certificate (chain) to serve HTTPS with (needs --tls-key).", completion: .file())
    var tlsCert: String?

    @Option(help: "Unencrypted PEM private key of --tls-cert.", completion: .file())
    var tlsKey: String?

    @Option(help: "Close a connection whose client has read nothing for this many seconds while a blob waits to be sent (default 60).")
    var stallTimeout: Int = 60

    @Option(help: "Close a connection whose request head has not arrived whole this many seconds after its first byte (default 10).")
    var headerTimeout: Int = 10

    @Option(help: "Close a keep-alive connection that has asked nothing for this many seconds (default 60).")
    var idleTimeout: Int = 60

    @Option(help: "Connections open at once; one more is closed as soon as it is accepted (default 512).")
    var maxConnections: Int = 512

    @OptionGroup var names: NamingOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        try signers.require(for: "serve")
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        for (name, seconds) in [("--stall-timeout", stallTimeout), ("--header-timeout", headerTimeout), ("--idle-timeout", idleTimeout)] where seconds < 1 {
            throw ValidationError("\(name) takes a number of seconds, at least 1")
        }
        if maxConnections < 1 { throw ValidationError("--max-connections takes a number of connections, at least 1") }
        if bundle == "-" { throw ValidationError("serve reads blobs at random: give a bundle file, not standard input") }
        _ = try Self.parseListen(listen)
    }

    /// `HOST:PORT` or `[IPv6]:PORT`.
    static func parseListen(_ text: String) throws -> (host: String, port: Int) {
        let (address, portText) = Reference.splitPort(text)
        guard let portText, let port = Int(portText), (0...65535).contains(port) else {
            throw ValidationError("--listen takes ADDRESS:PORT, e.g. 127.0.0.1:5000 or [::1]:5000, not '\(text)'")
        }
        let host = String(Reference.unbracketed(address))
        guard !host.isEmpty else { throw ValidationError("--listen needs an address before the port, e.g. 127.0.0.1:\(port)") }
        return (host, port)
    }

    func run() async throws {
        let trust = try signers.trust()
        let naming = try names.naming(to: "localhost" + (toNamespace.map { "/\($0)" } ?? ""))
        let quiet = output.quiet
        let server = try await BundleServer(bundle: bundle, trust: trust, cosignKeys: try cosign.publicKeys(), naming: naming) { line in
            if !quiet { Output.error(Output.printable(line)) }
        }
        var options = BundleServer.Options()
        (options.host, options.port) = try Self.parseListen(listen)
        if let tlsCert, let tlsKey { options.tls = (tlsCert, tlsKey) }
        options.stalledClient = .seconds(Int64(stallTimeout))
        options.headerTimeout = .seconds(Int64(headerTimeout))
        options.idleTimeout = .seconds(Int64(idleTimeout))
        options.maxConnections = maxConnections
        let grace = options.grace
        Interruption.handle {
            Output.error("airlock: stopping; transfers in flight get \(grace.nanoseconds / 1_000_000_000) s to finish")
            Task {
                await server.stop(grace: grace)
                _exit(0)  // as Interruption does: no exit handlers under threads still alive
            }
        }
        let scheme = options.tls == nil ? "http" : "https"
        let summary = server.summary
        try await server.run(options) { [host = options.host] address in
            let shown = address.protocol == .inet6 ? "[\(address.ipAddress ?? "")]" : (address.ipAddress ?? host)
            Output.error("airlock: serving \(Output.printable(summary)) on \(scheme)://\(shown):\(address.port ?? 0) (read-only)")
        }
    }
}
