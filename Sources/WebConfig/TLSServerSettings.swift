/// `tls_server_config`: what our HTTPS listener presents and whom it lets in.
public struct TLSServerSettings: Sendable {
    /// `cert_file` or inline `cert`: the server certificate chain, leaf first.
    public var certificate: PEMSource
    /// `key_file` or inline `key`: its unencrypted private key.
    public var key: PEMSource
    /// `client_auth_type`.
    public var clientAuth: ClientAuthType
    /// `client_ca_file` or inline `client_ca`: CAs that client certificates must chain to.
    public var clientCA: PEMSource?
    /// `min_version` (default TLS 1.2).
    public var minVersion: TLSProtocolVersion
    /// `max_version` (default TLS 1.3).
    public var maxVersion: TLSProtocolVersion

    public init(certificate: PEMSource, key: PEMSource, clientAuth: ClientAuthType = .noClientCert,
                clientCA: PEMSource? = nil, minVersion: TLSProtocolVersion = .tls12, maxVersion: TLSProtocolVersion = .tls13) {
        self.certificate = certificate
        self.key = key
        self.clientAuth = clientAuth
        self.clientCA = clientCA
        self.minVersion = minVersion
        self.maxVersion = maxVersion
    }

    /// The files to watch for rotation (inline PEM never changes).
    public var watchedFiles: [String] {
        [certificate.path, key.path, clientCA?.path].compactMap { $0 }
    }
}

/// `client_auth_type`, with Go's crypto/tls meanings (exporter-toolkit maps the names onto `tls.ClientAuthType`).
public enum ClientAuthType: String, Sendable, CaseIterable {
    /// No client certificate is asked for.
    case noClientCert = "NoClientCert"
    /// A certificate is asked for but neither required nor verified.
    case requestClientCert = "RequestClientCert"
    /// A certificate is required but not verified (anyone can make one: only useful behind other checks).
    case requireAnyClientCert = "RequireAnyClientCert"
    /// A certificate is optional; one that is sent must chain to the client CA.
    case verifyClientCertIfGiven = "VerifyClientCertIfGiven"
    /// A certificate chaining to the client CA is required: the one setting that authenticates clients.
    case requireAndVerifyClientCert = "RequireAndVerifyClientCert"

    /// Parses the names exporter-toolkit accepts, including its older alias `RequireClientCert` and the empty
    /// string (the default).
    public init?(webConfigName: String) {
        switch webConfigName {
        case "": self = .noClientCert
        case "RequireClientCert": self = .requireAnyClientCert
        default:
            guard let value = ClientAuthType(rawValue: webConfigName) else { return nil }
            self = value
        }
    }

    /// Whether presented certificates are checked against the client CA (which must then be configured).
    public var verifiesCertificates: Bool {
        self == .verifyClientCertIfGiven || self == .requireAndVerifyClientCert
    }
}

/// `min_version` / `max_version`. TLS 1.0 and 1.1 are valid names in the format but refused here.
public enum TLSProtocolVersion: String, Sendable, Comparable, CaseIterable {
    case tls12 = "TLS12"
    case tls13 = "TLS13"

    public static func < (lhs: TLSProtocolVersion, rhs: TLSProtocolVersion) -> Bool {
        lhs == .tls12 && rhs == .tls13
    }
}
