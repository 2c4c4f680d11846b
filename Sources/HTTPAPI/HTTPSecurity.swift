import WebConfig

/// What the web config asks of every HTTP response: basic auth (when users are configured) and extra headers.
/// TLS is not here: it lives below HTTP, in the server's child channel (``TLSGuardedHTTP1Channel``).
public struct HTTPSecurity: Sendable {
    public var authenticator: BasicAuthenticator?
    public var headers: [ResponseHeader]

    public init(authenticator: BasicAuthenticator? = nil, headers: [ResponseHeader] = []) {
        self.authenticator = authenticator
        self.headers = headers
    }

    /// No authentication and no extra headers: the exporter without a web config.
    public static let none = HTTPSecurity()
}
