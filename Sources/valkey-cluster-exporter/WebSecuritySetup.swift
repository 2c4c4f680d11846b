import HTTPAPI
import Logging
import WebConfig

/// What the HTTP server needs from the web config: the router's security (basic auth, headers) and the TLS
/// context store. Logs, once, what is in force: user and header counts and names of settings, never hashes.
struct WebSecuritySetup: Sendable {
    var security: HTTPSecurity
    var tls: ServerTLSContextStore?

    init(_ config: WebConfig?, listenHost: String, logger: Logger) throws(WebConfigError) {
        guard let config else {
            security = .none
            tls = nil
            if !Self.isLoopback(listenHost) {
                logger.warning("serving plain HTTP without authentication on a non-loopback address; see --web-config-file",
                               metadata: ["listen_host": "\(listenHost)"])
            }
            return
        }
        security = HTTPSecurity(authenticator: config.users.isEmpty ? nil : BasicAuthenticator(users: config.users),
                                headers: config.headers)
        tls = try config.tls.map { settings throws(WebConfigError) in try ServerTLSContextStore(settings: settings, logger: logger) }
        if config.http2Requested {
            logger.warning("http_server_config.http2 is true but only HTTP/1.1 is served (over TLS too)")
        }
        if config.tls == nil, config.users.isEmpty, config.headers.isEmpty {
            logger.warning("the web config enables neither TLS nor basic auth nor headers")
        }
        logger.info("web config", metadata: [
            "tls": "\(config.tls.map { "on, client_auth_type=\($0.clientAuth.rawValue), versions=\($0.minVersion.rawValue)-\($0.maxVersion.rawValue)" } ?? "off")",
            "basic_auth_users": "\(config.users.count)",
            "headers": "\(config.headers.map(\.name).joined(separator: ","))",
        ])
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
