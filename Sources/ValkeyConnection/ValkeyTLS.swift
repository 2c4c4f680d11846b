import Foundation
import NIOCore
import NIOSSL
import Synchronization
import X509

/// TLS for connections to Valkey, prepared once at start-up and shared by the connection to every node of the
/// cluster (the same CA, client certificate and server name for all of them, as for the seed).
///
/// There is no fallback: with TLS configured, a node that does not complete the handshake is reported with a
/// `tls_*` reason and never retried in plaintext.
public struct ValkeyTLS: Sendable {
    /// Smallest TLS version offered.
    public enum MinimumVersion: String, Sendable, CaseIterable {
        case tls12 = "1.2"
        case tls13 = "1.3"
    }

    /// Built once: loading certificates and keys per connection would cost a file read and a parse each time.
    let context: NIOSSLContext
    /// Name sent with SNI and checked against the node's certificate instead of its address.
    let serverName: String?
    /// Trust anchors from the CA file, checked by our own verifier so that failures get a precise reason.
    let roots: [Certificate]?
    /// Whether certificate verification is off (`--valkey-tls-insecure-skip-verify`).
    public let insecureSkipVerify: Bool

    /// Loads the files and builds the TLS context. Errors name the file, never its content.
    public init(
        caFile: String?, certificateFile: String?, keyFile: String?, serverName: String?,
        minimumVersion: MinimumVersion, insecureSkipVerify: Bool
    ) throws(ValkeyTLSSetupError) {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = minimumVersion == .tls13 ? .tlsv13 : .tlsv12
        configuration.certificateVerification = insecureSkipVerify ? .none : .fullVerification
        var roots: [Certificate]?
        if let caFile {
            let pem: [NIOSSLCertificate]
            do { pem = try NIOSSLCertificate.fromPEMFile(caFile) } catch {
                throw ValkeyTLSSetupError(field: .caFile, "cannot read a PEM certificate from '\(caFile)'")
            }
            guard !pem.isEmpty else { throw ValkeyTLSSetupError(field: .caFile, "'\(caFile)' holds no certificate") }
            configuration.trustRoots = .certificates(pem)
            do {
                roots = try pem.map { try Certificate(derEncoded: try $0.toDERBytes()) }
            } catch {
                throw ValkeyTLSSetupError(field: .caFile, "cannot parse the certificates in '\(caFile)'")
            }
        }
        switch (certificateFile, keyFile) {
        case (nil, nil):
            break
        case (let certificateFile?, let keyFile?):
            do {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) }
            } catch {
                throw ValkeyTLSSetupError(field: .certificateFile, "cannot read a PEM certificate from '\(certificateFile)'")
            }
            guard !configuration.certificateChain.isEmpty else {
                throw ValkeyTLSSetupError(field: .certificateFile, "'\(certificateFile)' holds no certificate")
            }
            do {
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
            } catch {
                throw ValkeyTLSSetupError(field: .keyFile, "cannot read an unencrypted PEM private key from '\(keyFile)'")
            }
        case (nil, _):
            throw ValkeyTLSSetupError(field: .certificateFile, "a client key needs its certificate")
        case (_, nil):
            throw ValkeyTLSSetupError(field: .keyFile, "a client certificate needs its key")
        }
        if let serverName {
            let usable = !serverName.isEmpty && serverName.utf8.count <= 255 && !IPAddressLiteral.isLiteral(serverName)
                && serverName.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "*") }
            guard usable else {
                throw ValkeyTLSSetupError(field: .serverName, "'\(serverName)' is not a DNS name usable for SNI")
            }
        }
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw ValkeyTLSSetupError(field: .certificateFile, "the client certificate and key do not form a usable pair")
        }
        self.serverName = serverName
        self.roots = insecureSkipVerify ? nil : roots
        self.insecureSkipVerify = insecureSkipVerify
    }

    /// The handler for one connection to `host`; our verifier writes what it finds into `diagnosis`.
    func makeHandler(host: String, diagnosis: TLSDiagnosis) throws -> NIOSSLClientHandler {
        // No SNI for an IP address: NIOSSL then checks the certificate's IP SANs against the peer address.
        let name = serverName ?? (IPAddressLiteral.isLiteral(host) ? nil : host)
        guard let roots else {
            return try NIOSSLClientHandler(context: context, serverHostname: name)
        }
        let handler = try NIOSSLClientHandler(context: context, serverHostname: name) { chain, promise in
            promise.completeWithTask {
                await Self.verify(chain: chain, roots: roots, diagnosis: diagnosis)
            }
        }
        return handler
    }

    /// Chain and validity check with swift-certificates, so an expired certificate is told apart from an unknown
    /// issuer (BoringSSL reports both as CERTIFICATE_VERIFY_FAILED). The host name is checked by NIOSSL afterwards.
    static func verify(chain: [NIOSSLCertificate], roots: [Certificate], diagnosis: TLSDiagnosis) async -> NIOSSLVerificationResult {
        guard let leafDER = try? chain.first?.toDERBytes(), let leaf = try? Certificate(derEncoded: leafDER) else {
            diagnosis.record(.tlsUntrusted, "the node presented no parsable certificate")
            return .failed
        }
        let intermediates = chain.dropFirst().compactMap { try? Certificate(derEncoded: $0.toDERBytes()) }
        func validate(at time: Date) async -> Bool {
            var verifier = Verifier(rootCertificates: CertificateStore(roots)) { RFC5280Policy(validationTime: time) }
            if case .validCertificate = await verifier.validate(leaf: leaf, intermediates: CertificateStore(intermediates)) {
                return true
            }
            return false
        }
        if await validate(at: Date()) { return .certificateVerified }
        // Would it verify inside its own validity window? Then time is the problem, not trust.
        let middle = leaf.notValidBefore.addingTimeInterval(leaf.notValidAfter.timeIntervalSince(leaf.notValidBefore) / 2)
        if await validate(at: middle) {
            let expired = leaf.notValidAfter < Date()
            diagnosis.record(.tlsExpired, expired
                ? "the node's certificate expired on \(leaf.notValidAfter)"
                : "the node's certificate (or its chain) is not valid at this time")
        } else {
            diagnosis.record(.tlsUntrusted, "the node's certificate is not signed by a trusted CA")
        }
        return .failed
    }
}

/// What our certificate verifier found, read when the handshake fails.
final class TLSDiagnosis: Sendable {
    private let finding = Mutex<ValkeyError?>(nil)

    func record(_ reason: ValkeyError.Reason, _ message: String) {
        finding.withLock { $0 = ValkeyError(reason, message) }
    }

    var error: ValkeyError? { finding.withLock { $0 } }
}

/// A TLS setting that cannot be used; `field` says which flag to fix.
public struct ValkeyTLSSetupError: Error, Sendable, CustomStringConvertible {
    public enum Field: Sendable {
        case caFile, certificateFile, keyFile, serverName
    }

    public var field: Field
    public var message: String

    init(field: Field, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { message }
}

/// Recognises IPv4 and IPv6 literals (SNI must not carry them).
enum IPAddressLiteral {
    static func isLiteral(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}
