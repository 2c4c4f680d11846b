import NIOCore
import NIOPosix
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
}
