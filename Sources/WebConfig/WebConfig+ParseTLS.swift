import Foundation

extension WebConfig {
    /// `tls_server_config`: nil when no certificate, key, client CA or client auth type is set (plain HTTP), as in
    /// exporter-toolkit; but version or cipher settings without a certificate are an error here, not a silent no-op.
    static func parseTLS(_ tls: StrictMapping, directory: String) throws(WebConfigError) -> TLSServerSettings? {
        try rejectUnsupported(tls)
        func pem(inline inlineKey: String, file fileKey: String) throws(WebConfigError) -> PEMSource? {
            let inline = try tls.nonEmptyString(inlineKey)
            let file = try tls.nonEmptyString(fileKey)
            switch (inline, file) {
            case (_?, _?):
                throw WebConfigError(field: tls.field(fileKey), "set either \(inlineKey) or \(fileKey), not both")
            case (let text?, nil):
                return PEMSource(.inline(text), field: tls.field(inlineKey))
            case (nil, let path?):
                return PEMSource(.file(resolve(path, in: directory)), field: tls.field(fileKey))
            case (nil, nil):
                return nil
            }
        }
        let certificate = try pem(inline: "cert", file: "cert_file")
        let key = try pem(inline: "key", file: "key_file")
        let clientCA = try pem(inline: "client_ca", file: "client_ca_file")
        let clientAuthName = try tls.nonEmptyString("client_auth_type")
        let minVersion = try version(tls, "min_version") ?? .tls12
        let maxVersion = try version(tls, "max_version") ?? .tls13

        guard certificate != nil || key != nil || clientCA != nil || clientAuthName != nil else {
            for setting in ["min_version", "max_version"] where tls.node(setting) != nil {
                throw WebConfigError(field: tls.field(setting), "set without a certificate: TLS needs cert_file and key_file")
            }
            return nil
        }
        guard let certificate else { throw WebConfigError(field: tls.field("cert_file"), "missing: TLS needs cert_file (or cert)") }
        guard let key else { throw WebConfigError(field: tls.field("key_file"), "missing: TLS needs key_file (or key)") }
        guard let clientAuth = ClientAuthType(webConfigName: clientAuthName ?? "") else {
            throw WebConfigError(field: tls.field("client_auth_type"), "'\(clientAuthName ?? "")' is not one of "
                                 + ClientAuthType.allCases.map(\.rawValue).joined(separator: ", "))
        }
        if clientCA != nil, clientAuth == .noClientCert {
            throw WebConfigError(field: tls.field("client_ca_file"),
                                 "a client CA needs client_auth_type (RequireAndVerifyClientCert to authenticate clients)")
        }
        // Go would fall back to the system's trust store here; for a metrics endpoint that is never what is meant.
        if clientAuth.verifiesCertificates, clientCA == nil {
            throw WebConfigError(field: tls.field("client_ca_file"), "client_auth_type \(clientAuth.rawValue) needs client_ca_file (or client_ca)")
        }
        guard minVersion <= maxVersion else {
            throw WebConfigError(field: tls.field("max_version"), "\(maxVersion.rawValue) is below min_version \(minVersion.rawValue)")
        }
        return TLSServerSettings(certificate: certificate, key: key, clientAuth: clientAuth, clientCA: clientCA,
                                 minVersion: minVersion, maxVersion: maxVersion)
    }

    /// Settings of the format that the TLS library here cannot apply: refused, so nobody believes they are in force.
    private static func rejectUnsupported(_ tls: StrictMapping) throws(WebConfigError) {
        let unsupported = [
            ("cipher_suites", "choosing cipher suites is not supported; BoringSSL's defaults are used (TLS 1.3 suites are fixed)"),
            ("curve_preferences", "choosing curves is not supported; BoringSSL's defaults are used"),
            ("client_allowed_sans", "matching client certificate SANs is not supported; use a client CA that signs only allowed clients"),
        ]
        for (key, why) in unsupported {
            if let list = try tls.stringList(key), !list.isEmpty { throw WebConfigError(field: tls.field(key), why) }
        }
        // Go ignores this one since 1.18 as well: accepted for compatibility, checked only for its type.
        _ = try tls.bool("prefer_server_cipher_suites")
    }

    private static func version(_ tls: StrictMapping, _ key: String) throws(WebConfigError) -> TLSProtocolVersion? {
        guard let name = try tls.nonEmptyString(key) else { return nil }
        if let version = TLSProtocolVersion(rawValue: name) { return version }
        if name == "TLS10" || name == "TLS11" {
            throw WebConfigError(field: tls.field(key), "\(name) is not supported; use TLS12 or TLS13")
        }
        throw WebConfigError(field: tls.field(key), "'\(name)' is not TLS12 or TLS13")
    }

    /// A relative path is relative to the web-config file's directory.
    private static func resolve(_ path: String, in directory: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: directory).appendingPathComponent(path).path
    }
}
