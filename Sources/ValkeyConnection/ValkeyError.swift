/// Why talking to one Valkey node failed.
///
/// `reason` is a small, bounded set of words suitable for a metric label; `message` is for logs and JSON and
/// never contains command arguments (so never a password).
public struct ValkeyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A bounded classification of a failure.
    public struct Reason: Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// No answer before the connect or command deadline.
        public static let timeout = Reason("timeout")
        /// The TCP connection was refused.
        public static let refused = Reason("refused")
        /// The connection was closed or reset by the peer.
        public static let reset = Reason("reset")
        /// The host name did not resolve or the network is unreachable.
        public static let unreachable = Reason("unreachable")
        /// Authentication failed (WRONGPASS, NOAUTH).
        public static let auth = Reason("auth")
        /// The ACL user may not run a command (NOPERM).
        public static let noperm = Reason("noperm")
        /// The server replied with bytes that are not valid RESP, or that break our limits.
        public static let `protocol` = Reason("protocol")
        /// The server is loading its dataset.
        public static let loading = Reason("loading")
        /// The server answered a command with an error reply.
        public static let serverError = Reason("server_error")
        /// The reply was valid RESP but not the shape the command returns.
        public static let unexpectedReply = Reason("unexpected_reply")
        /// The connection was closed by us (shutdown).
        public static let closed = Reason("closed")
        /// TLS failed for another reason than the ones below (e.g. the port does not speak TLS).
        public static let tls = Reason("tls")
        /// The node's certificate is not signed by a trusted CA.
        public static let tlsUntrusted = Reason("tls_untrusted")
        /// The node's certificate expired (or is not valid yet).
        public static let tlsExpired = Reason("tls_expired")
        /// The node's certificate does not name the node (or `--valkey-tls-server-name`).
        public static let tlsHostname = Reason("tls_hostname")
        /// The node wants a client certificate we did not send, or rejected the one we sent.
        public static let tlsClientCertificate = Reason("tls_client_certificate")
        /// No TLS version both sides accept.
        public static let tlsVersion = Reason("tls_version")

        /// Every reason, for exposing zero-valued series and for tests.
        public static let all: [Reason] = [
            .timeout, .refused, .reset, .unreachable, .auth, .noperm, .protocol, .loading,
            .serverError, .unexpectedReply, .closed, .tls, .tlsUntrusted, .tlsExpired, .tlsHostname,
            .tlsClientCertificate, .tlsVersion,
        ]
    }

    public var reason: Reason
    public var message: String

    public init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { "\(reason): \(message)" }

    /// Classifies a server error reply (`-WRONGPASS ...`, `-NOPERM ...`) by its first word.
    public static func fromErrorReply(_ text: String) -> ValkeyError {
        let code = text.prefix(while: { $0 != " " })
        let reason: Reason
        switch code {
        case "WRONGPASS", "NOAUTH": reason = .auth
        case "NOPERM": reason = .noperm
        case "LOADING": reason = .loading
        default: reason = .serverError
        }
        return ValkeyError(reason, String(text.prefix(200)))
    }
}
