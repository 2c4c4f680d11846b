import Logging
import NIOCore
import NIOSSL

/// Sits right behind the TLS handler and logs its failures at debug level (a client without the required
/// certificate, plaintext sent to the HTTPS port, an untrusted client CA), which nothing else reports: the
/// connection just closes. The error is passed on unchanged.
final class TLSErrorLogger: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is NIOSSLError || error is BoringSSLError {
            // BoringSSL's messages name the failed check (e.g. CERTIFICATE_VERIFY_FAILED), never key material.
            logger.debug("TLS connection failed", metadata: [
                "remote": "\(context.channel.remoteAddress?.description ?? "?")", "error": "\(error)",
            ])
        }
        context.fireErrorCaught(error)
    }
}
