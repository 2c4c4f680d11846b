import HummingbirdCore
import Logging
import NIOCore
import NIOSSL

/// ``GuardedHTTP1Channel`` behind TLS: each accepted connection gets a `NIOSSLServerHandler` with the context the
/// ``ServerTLSContextStore`` holds at that moment, so a rotated certificate applies to the next connection.
/// (Hummingbird's own TLSChannel fixes one context for the server's lifetime.)
public struct TLSGuardedHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    public typealias Value = GuardedHTTP1Channel.Value

    private let base: GuardedHTTP1Channel
    private let tls: ServerTLSContextStore

    public init(_ base: GuardedHTTP1Channel, tls: ServerTLSContextStore) {
        self.base = base
        self.tls = tls
    }

    public var responder: HTTPChannelHandler.Responder { base.responder }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            // First in the pipeline: everything behind it, the HTTP parser and the guard included, sees plaintext.
            try channel.pipeline.syncOperations.addHandlers(tls.makeHandler(), TLSErrorLogger(logger: logger))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    public func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 with ``HTTP1ConnectionGuard``, behind TLS when `tls` is given (`tls_server_config` of the web config).
    public static func guardedHTTP1(configuration: HTTP1Channel.Configuration, tls: ServerTLSContextStore?) -> HTTPServerBuilder {
        guard let tls else { return .guardedHTTP1(configuration: configuration) }
        return .init { responder in
            TLSGuardedHTTP1Channel(GuardedHTTP1Channel(responder: responder, configuration: configuration), tls: tls)
        }
    }
}
