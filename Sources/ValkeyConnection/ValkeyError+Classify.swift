import NIOCore
import NIOPosix
import NIOSSL
import RESP

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension ValkeyError {
    /// Maps an error from NIO or the RESP decoder to a bounded reason and a message without secrets.
    static func classify(_ error: any Error) -> ValkeyError {
        switch error {
        case let error as ValkeyError:
            return error
        case let error as RESPParsingError where error.code == .truncated:
            // The peer closed (or died) in the middle of a reply: a broken connection, not a bad server.
            return ValkeyError(.reset, "connection closed in the middle of a reply (\(error.offset) bytes of it received)")
        case let error as RESPParsingError:
            return ValkeyError(.protocol, "invalid reply: \(error)")
        case ChannelError.connectTimeout:
            return ValkeyError(.timeout, "connect timed out")
        case let error as NIOConnectionError:
            // One connection attempt per resolved address; the first real failure is representative.
            if let first = error.connectionErrors.first {
                return classify(first.error)
            }
            if error.dnsAError != nil || error.dnsAAAAError != nil {
                return ValkeyError(.unreachable, "host name did not resolve")
            }
            return ValkeyError(.unreachable, "no address to connect to")
        case let error as IOError:
            switch error.errnoCode {
            case ECONNREFUSED: return ValkeyError(.refused, "connection refused")
            case ECONNRESET, EPIPE: return ValkeyError(.reset, "connection reset by peer")
            case ETIMEDOUT: return ValkeyError(.timeout, "connection timed out")
            case EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL: return ValkeyError(.unreachable, "host unreachable")
            default: return ValkeyError(.reset, "I/O error: \(error.description)")
            }
        case ChannelError.ioOnClosedChannel, ChannelError.alreadyClosed, ChannelError.eof:
            return ValkeyError(.reset, "connection closed")
        case is NIOConnectionError:
            return ValkeyError(.unreachable, "could not connect")
        case is NIOSSLError, is NIOSSLExtraError, is BoringSSLError:
            return classifyTLS(String(describing: error))
        default:
            let text = String(describing: error)
            if text.contains("NXDOMAIN") || text.lowercased().contains("resolve") {
                return ValkeyError(.unreachable, "host name did not resolve")
            }
            if text.contains("uncleanShutdown") || text.contains("handshake") {
                return ValkeyError(.tls, "TLS error: \(text.prefix(200))")
            }
            return ValkeyError(.reset, String(text.prefix(200)))
        }
    }

    /// TLS failures by what the user must fix. BoringSSL names them in its error strings; the certificate checks
    /// that it lumps together as CERTIFICATE_VERIFY_FAILED are told apart by our own verifier (``ValkeyTLS``).
    static func classifyTLS(_ text: String) -> ValkeyError {
        func has(_ words: String...) -> Bool { words.contains { text.contains($0) } }
        if has("failedToValidateHostname") {
            return ValkeyError(.tlsHostname, "the node's certificate does not name the node (or --valkey-tls-server-name)")
        }
        if has("CERTIFICATE_REQUIRED", "PEER_DID_NOT_RETURN_A_CERTIFICATE") {
            return ValkeyError(.tlsClientCertificate, "the node requires a client certificate")
        }
        if has("ALERT_UNKNOWN_CA", "ALERT_BAD_CERTIFICATE", "ALERT_CERTIFICATE_UNKNOWN", "ALERT_ACCESS_DENIED") {
            return ValkeyError(.tlsClientCertificate, "the node rejected our client certificate")
        }
        if has("PROTOCOL_VERSION", "UNSUPPORTED_PROTOCOL") {
            return ValkeyError(.tlsVersion, "no TLS version accepted by both sides (see --valkey-tls-min-version)")
        }
        if has("CERTIFICATE_VERIFY_FAILED") {
            return ValkeyError(.tlsUntrusted, "the node's certificate could not be verified")
        }
        if has("WRONG_VERSION_NUMBER", "HTTP_REQUEST", "RECORD_TOO_LARGE") {
            return ValkeyError(.tls, "the node did not answer with TLS (a plaintext port?)")
        }
        if has("uncleanShutdown") {
            return ValkeyError(.tls, "the node closed the TLS connection without close_notify")
        }
        return ValkeyError(.tls, "TLS error: \(text.prefix(200))")
    }
}
