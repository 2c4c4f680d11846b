import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Hummingbird's HTTP/1 child channel with ``HTTP1ConnectionGuard`` placed right behind SwiftNIO's HTTP/1
/// request decoder, where it still sees parser errors, HTTP versions and `CONNECT` (the router sees none of them).
public struct GuardedHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    public typealias Value = HTTP1Channel.Value

    private let base: HTTP1Channel

    public init(responder: @escaping HTTPChannelHandler.Responder, configuration: HTTP1Channel.Configuration) {
        self.base = HTTP1Channel(responder: responder, configuration: configuration)
    }

    public var responder: HTTPChannelHandler.Responder { base.responder }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let operations = channel.pipeline.syncOperations
            // Right after the request decoder: its errors reach the guard before anything else sees them.
            let decoder = try operations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try operations.addHandler(HTTP1ConnectionGuard(), position: .after(decoder))
            return value
        }
    }

    /// Serves the connection from a task that prefers the connection's event loop (``EventLoopTaskExecutor``).
    public func handle(value: Value, logger: Logger) async {
        // Kept alive by this frame until the scope ends; jobs still queued on the loop hold it too.
        let executor = EventLoopTaskExecutor(value.channel.eventLoop)
        await withTaskExecutorPreference(executor) {
            await base.handle(value: value, logger: logger)
        }
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 with ``HTTP1ConnectionGuard``: the exporter's server.
    public static func guardedHTTP1(configuration: HTTP1Channel.Configuration) -> HTTPServerBuilder {
        .init { responder in GuardedHTTP1Channel(responder: responder, configuration: configuration) }
    }
}
