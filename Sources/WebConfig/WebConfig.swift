/// The settings of an exporter-toolkit web-config file (`--web-config-file`), the format Go exporters read with
/// `--web.config.file`: TLS for our HTTP listener, basic-auth users and extra response headers.
///
/// Everything here is validated: a value that parsed is a value the server can use. Fields of the format that the
/// exporter cannot honour are rejected when parsing, never ignored, so a security setting is never silently lost.
public struct WebConfig: Sendable {
    /// HTTPS settings, or nil to serve plain HTTP (no TLS field set, as in exporter-toolkit).
    public var tls: TLSServerSettings?
    /// Users allowed in with HTTP basic auth, in file order; empty means no authentication.
    public var users: [BasicAuthUser]
    /// Headers added to every response (`http_server_config.headers`), blank ones left out.
    public var headers: [ResponseHeader]
    /// `http_server_config.http2: true` was written explicitly; only HTTP/1.1 is served, so the caller warns.
    public var http2Requested: Bool

    public init(tls: TLSServerSettings? = nil, users: [BasicAuthUser] = [], headers: [ResponseHeader] = [],
                http2Requested: Bool = false) {
        self.tls = tls
        self.users = users
        self.headers = headers
        self.http2Requested = http2Requested
    }
}

/// One `basic_auth_users` entry.
public struct BasicAuthUser: Sendable, CustomStringConvertible {
    public var name: String
    public var hash: BcryptHash

    public init(name: String, hash: BcryptHash) {
        self.name = name
        self.hash = hash
    }

    /// The name only: the hash stays out of any log line or message that prints a user.
    public var description: String { name }
}

/// One `http_server_config.headers` entry.
public struct ResponseHeader: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
