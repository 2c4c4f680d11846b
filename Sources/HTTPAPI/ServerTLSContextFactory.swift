import NIOCore
import NIOSSL
import WebConfig

/// Turns `tls_server_config` into a BoringSSL context, reading the certificate, key and client CA (files or inline
/// PEM). Every failure names the web-config field and file, never PEM content.
public enum ServerTLSContextFactory {
    /// A context plus, for the client-auth types that ask for a certificate without verifying it, the callback that
    /// accepts any certificate (BoringSSL itself would verify whatever it asks for).
    public struct Built: Sendable {
        public let context: NIOSSLContext
        public let acceptAnyClientCertificate: Bool
    }

    public static func make(_ settings: TLSServerSettings) throws(WebConfigError) -> Built {
        let chain = try certificates(settings.certificate, what: "certificate")
        let key = try privateKey(settings.key)
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                                     privateKey: .privateKey(key))
        configuration.minimumTLSVersion = settings.minVersion == .tls13 ? .tlsv13 : .tlsv12
        configuration.maximumTLSVersion = settings.maxVersion == .tls13 ? .tlsv13 : .tlsv12
        let clientCAs = try settings.clientCA.map { source throws(WebConfigError) in try certificates(source, what: "CA certificate") }
        // Trust only the configured client CA, never the system store; with none, nothing is trusted (the
        // accept-any modes do not consult it).
        configuration.trustRoots = .certificates(clientCAs ?? [])
        // Clients such as curl pick the certificate to send by the CA names the server lists.
        configuration.sendCANameList = clientCAs != nil
        switch settings.clientAuth {
        case .noClientCert: configuration.certificateVerification = .none
        case .requestClientCert, .verifyClientCertIfGiven: configuration.certificateVerification = .optionalVerification
        case .requireAnyClientCert, .requireAndVerifyClientCert: configuration.certificateVerification = .noHostnameVerification
        }
        do {
            let context = try NIOSSLContext(configuration: configuration)
            let acceptAny = settings.clientAuth == .requestClientCert || settings.clientAuth == .requireAnyClientCert
            return Built(context: context, acceptAnyClientCertificate: acceptAny)
        } catch {
            throw WebConfigError(field: settings.certificate.field,
                                 "the certificate in \(settings.certificate) and the key in \(settings.key) do not form a usable pair")
        }
    }

    private static func certificates(_ source: PEMSource, what: String) throws(WebConfigError) -> [NIOSSLCertificate] {
        let loaded: [NIOSSLCertificate]
        do {
            switch source.origin {
            case .file(let path): loaded = try NIOSSLCertificate.fromPEMFile(path)
            case .inline(let text): loaded = try NIOSSLCertificate.fromPEMBytes(Array(text.utf8))
            }
        } catch {
            throw WebConfigError(field: source.field, "cannot read a PEM \(what) from \(source)")
        }
        guard !loaded.isEmpty else { throw WebConfigError(field: source.field, "\(source) holds no PEM \(what)") }
        return loaded
    }

    private static func privateKey(_ source: PEMSource) throws(WebConfigError) -> NIOSSLPrivateKey {
        do {
            switch source.origin {
            case .file(let path): return try NIOSSLPrivateKey(file: path, format: .pem)
            case .inline(let text): return try NIOSSLPrivateKey(bytes: Array(text.utf8), format: .pem)
            }
        } catch {
            throw WebConfigError(field: source.field, "cannot read an unencrypted PEM private key from \(source)")
        }
    }
}
