import ClusterModel
import Foundation
import NIOCore
import NIOHTTP1

/// Sits between SwiftNIO's HTTP/1 parser and Hummingbird and answers what the router never sees, so every
/// error a client gets is a complete response with the API's JSON envelope:
/// - a request the parser rejects (malformed request line, oversized headers, bad chunk framing) gets a JSON
///   400 or 431 and the connection closes, instead of Hummingbird's empty 400;
/// - `CONNECT` gets a 405 and the connection closes: SwiftNIO's encoder sends no body and no framing on any
///   answer to a CONNECT (a 2xx would open a tunnel), so the router's 405 alone would leave the client waiting
///   for a body that never comes; closing is what ends the answer;
/// - a request that is not keep-alive (HTTP/1.0 without `Connection: keep-alive`, or `Connection: close`) gets
///   `Connection: close` on its answer and the connection closes after it (RFC 9112 section 9.3).
///
/// Pipelined requests are answered in order: a refusal that arrives while an earlier request is being
/// answered waits for that answer to end.
final class HTTP1ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// A response this handler writes itself, then closes the connection.
    struct Refusal {
        var status: HTTPResponseStatus
        var code: String
        var message: String
        var allow: String?

        init(status: HTTPResponseStatus, code: String, message: String, allow: String? = nil) {
            self.status = status
            self.code = code
            self.message = message
            self.allow = allow
        }

        /// What a parser error means for the client. Only the parser's own category is named, never input bytes.
        init(parserError: HTTPParserError) {
            switch parserError {
            case .headerOverflow:
                self.init(status: .requestHeaderFieldsTooLarge, code: "header_too_large",
                          message: "request line or headers too large")
            default:
                self.init(status: .badRequest, code: "bad_request", message: "malformed HTTP request")
            }
        }
    }

    /// For each request passed on and not answered yet (in order): whether its answer closes the connection.
    private var closeAfterAnswer = CircularBuffer<Bool>()
    /// True between a request head passed on and its `.end`.
    private var requestOpen = false
    /// Set once this handler decided to refuse: everything read afterwards is dropped.
    private var refusing = false
    /// A refusal waiting for the answer in flight to end.
    private var pendingRefusal: Refusal?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refusing else { return }
        switch unwrapInboundIn(data) {
        case .head(var head):
            if head.method == .CONNECT {
                refuse(context: context, Refusal(status: .methodNotAllowed, code: "method_not_allowed",
                                                 message: "CONNECT is not supported", allow: "GET"))
                return
            }
            let close = !head.isKeepAlive
            if close {
                // Hummingbird ends its request loop on exactly "connection: close".
                head.headers.replaceOrAdd(name: "connection", value: "close")
            }
            closeAfterAnswer.append(close)
            requestOpen = true
            context.fireChannelRead(wrapInboundOut(.head(head)))
        case .body:
            context.fireChannelRead(data)
        case .end:
            requestOpen = false
            context.fireChannelRead(data)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        guard !refusing else { return }
        if requestOpen {
            // The parser failed inside a request body: end that request for the router, answer it, then refuse.
            requestOpen = false
            context.fireChannelRead(wrapInboundOut(.end(nil)))
        }
        refuse(context: context, Refusal(parserError: parserError))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where !(100..<200).contains(head.status.code) || head.status.code == 101:
            if closeAfterAnswer.first == true {
                head.headers.replaceOrAdd(name: "connection", value: "close")
            }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .head, .body:
            context.write(data, promise: promise)
        case .end:
            let close = closeAfterAnswer.popFirst() ?? false
            let refusal = closeAfterAnswer.isEmpty ? pendingRefusal : nil
            guard close || refusal != nil else {
                context.write(data, promise: promise)
                return
            }
            // Act only once the whole answer is written: closing earlier would drop a large body still queued.
            pendingRefusal = refusal == nil ? pendingRefusal : nil
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.cascade(to: promise)
            context.write(data, promise: written)
            context.flush()
            let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            written.futureResult.whenComplete { _ in
                if let refusal {
                    handler.value.send(refusal, context: boundContext.value)
                } else {
                    boundContext.value.close(promise: nil)
                }
            }
        }
    }

    private func refuse(context: ChannelHandlerContext, _ refusal: Refusal) {
        refusing = true
        if closeAfterAnswer.isEmpty {
            send(refusal, context: context)
        } else {
            pendingRefusal = refusal
        }
    }

    private func send(_ refusal: Refusal, context: ChannelHandlerContext) {
        var body = ByteBuffer()
        JSONWriter.write(.object([
            ("status", .string("error")),
            ("error", .object([("code", .string(refusal.code)), ("message", .string(refusal.message))])),
            ("timestamp", .string(Formatting.iso8601(Date()))),
        ]), into: &body)
        var headers = HTTPHeaders([
            ("Content-Type", "application/json"),
            ("Content-Length", "\(body.readableBytes)"),
            ("Cache-Control", "no-store"),
            ("Connection", "close"),
        ])
        if let allow = refusal.allow {
            headers.add(name: "Allow", value: allow)
        }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: refusal.status, headers: headers))),
                      promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            boundContext.value.close(promise: nil)
        }
    }
}
