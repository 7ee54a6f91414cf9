import Foundation

/// nginx (Debian's) in front of a registry on loopback, reproducing what enterprise registries'
/// proxies do: a request-body limit (`client_max_body_size`), and `extra` location rules (projects
/// that do not exist, names too deep). `stop()` ends it; `accessLog()` shows what it answered.
public final class NginxProxy: Sendable {
    public let host: String
    let directory: String

    /// nginx's `location` blocks for a registry's refusals: `refuse(prefix:status:code:message:)`.
    public static func refuse(_ pattern: String, status: Int, code: String, message: String) -> String {
        let body = #"{"errors":[{"code":"\#(code)","message":"\#(message)","detail":null}]}"#
        return """
            location ~ "\(pattern)" {
                default_type application/json;
                add_header Docker-Distribution-API-Version registry/2.0 always;
                return \(status) '\(body)';
            }
        """
    }

    public init(upstream: String, maxBody: String, extra: String = "") throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx") else {
            throw TestError("nginx is not installed (scripts/setup.sh installs nginx-light)")
        }
        directory = try TestPaths.temporaryDirectory("nginx").path
        let port = try freePort()
        host = "127.0.0.1:\(port)"
        let user = getuid() == 0 ? "user root;" : ""
        let config = """
        \(user)
        worker_processes 1;
        pid \(directory)/nginx.pid;
        error_log \(directory)/error.log;
        events { worker_connections 512; }
        http {
            access_log \(directory)/access.log;
            client_body_temp_path \(directory)/body;
            proxy_temp_path \(directory)/proxy;
            fastcgi_temp_path \(directory)/fastcgi;
            uwsgi_temp_path \(directory)/uwsgi;
            scgi_temp_path \(directory)/scgi;
            server {
                listen 127.0.0.1:\(port);
                client_max_body_size \(maxBody);
                proxy_request_buffering off;
                proxy_buffering off;
                proxy_http_version 1.1;
        \(extra)
                location / {
                    proxy_pass http://\(upstream);
                    proxy_set_header Host $http_host;
                    proxy_read_timeout 300s;
                }
            }
        }
        """
        try config.write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
        let started = try run("/usr/sbin/nginx", arguments)
        guard started.status == 0 else { throw TestError("nginx did not start: \(started.stderr)") }
        for _ in 0..<100 {
            if try run("curl", ["-s", "-o", "/dev/null", "http://\(host)/v2/"]).status == 0 { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        stop()
        throw TestError("nginx did not answer on \(host)")
    }

    /// Prefix, configuration and (`-e`, before the configuration is read) error log all in the
    /// test's folder: nothing under /var/log/nginx, so a non-root run starts as cleanly.
    var arguments: [String] { ["-p", directory, "-e", directory + "/error.log", "-c", directory + "/nginx.conf"] }

    /// nginx's access log: one line per request, with its status.
    public func accessLog() throws -> String {
        try String(contentsOfFile: directory + "/access.log", encoding: .utf8)
    }

    public func stop() {
        _ = try? run("/usr/sbin/nginx", arguments + ["-s", "stop"])
    }
}
