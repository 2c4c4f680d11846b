import NIOCore
import RESP

/// One pipelined batch: the encoded commands and one promise per command, in order.
struct ValkeyRequest: Sendable {
    var bytes: ByteBuffer
    var promises: [EventLoopPromise<RESPToken>]
}

/// Matches replies to requests in order (RESP is strictly ordered per connection) and fails every
/// outstanding request when the connection breaks, so no caller waits on a reply that cannot come.
///
/// Lives on its channel's event loop; every method runs there.
final class ValkeyChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPToken
    typealias OutboundIn = ValkeyRequest
    typealias OutboundOut = ByteBuffer

    private var pending = CircularBuffer<EventLoopPromise<RESPToken>>(initialCapacity: 16)
    /// Set once the connection can no longer be used; later writes fail at once with it.
    private var terminalError: ValkeyError?
    private var context: ChannelHandlerContext?
    private let health: ConnectionHealth

    init(health: ConnectionHealth) { self.health = health }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let terminalError {
            for p in request.promises { p.fail(terminalError) }
            promise?.fail(terminalError)
            return
        }
        pending.append(contentsOf: request.promises)
        context.write(wrapOutboundOut(request.bytes), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let token = unwrapInboundIn(data)
        // RESP3 push messages (client tracking, pub/sub) are not replies to our commands; we never
        // subscribe, so any push is dropped rather than mistaken for the next reply.
        if case .push = token.value { return }
        guard let promise = pending.popFirst() else {
            fail(ValkeyError(.protocol, "reply received with no command outstanding"), close: true)
            return
        }
        promise.succeed(token)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(ValkeyError.classify(error), close: true)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(ValkeyError(.reset, "connection closed by peer"), close: false)
        context.fireChannelInactive()
    }

    /// Fails every outstanding and future request with `error`, and closes the channel if asked.
    func fail(_ error: ValkeyError, close: Bool) {
        health.markBroken()
        if terminalError == nil { terminalError = error }
        let failure = terminalError ?? error
        while let promise = pending.popFirst() { promise.fail(failure) }
        if close, let context { context.close(promise: nil) }
    }

}
