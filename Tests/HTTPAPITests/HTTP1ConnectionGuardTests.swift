import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import HTTPAPI

/// The guard behind SwiftNIO's real HTTP/1 decoder and encoder, in an EmbeddedChannel: what reaches the router
/// and what bytes the client gets.
@Suite struct HTTP1ConnectionGuardTests {
    private func makeChannel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        let operations = channel.pipeline.syncOperations
        try operations.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false)
        let decoder = try operations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
        try operations.addHandler(HTTP1ConnectionGuard(), position: .after(decoder))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    private func output(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            text += String(buffer: buffer)
        }
        return text
    }

    private func answer(_ channel: EmbeddedChannel, body: String = "{}") throws {
        let head = HTTPResponseHead(version: .http1_1, status: .ok, headers: ["Content-Length": "\(body.utf8.count)"])
        try channel.writeOutbound(HTTPServerResponsePart.head(head))
        try channel.writeOutbound(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: body))))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
    }

    @Test func malformedRequestLineGetsJSON400AndCloses() throws {
        let channel = try makeChannel()
        try channel.writeInbound(ByteBuffer(string: "GARBAGE\r\n\r\n"))
        let text = try output(channel)
        #expect(text.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(text.contains("Connection: close\r\n"))
        #expect(text.contains(#""error":{"code":"bad_request","message":"malformed HTTP request"}"#))
        #expect(!channel.isActive)
        #expect(try channel.readInbound(as: HTTPServerRequestPart.self) == nil)
    }

    @Test func oversizedHeadGetsJSON431() throws {
        let channel = try makeChannel()
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nX-Big: " + String(repeating: "a", count: 200_000) + "\r\n\r\n"))
        let text = try output(channel)
        #expect(text.hasPrefix("HTTP/1.1 431 Request Header Fields Too Large\r\n"))
        #expect(text.contains(#""code":"header_too_large""#))
        #expect(!channel.isActive)
    }

    @Test func connectIsRefusedAndNeverReachesTheRouter() throws {
        let channel = try makeChannel()
        try channel.writeInbound(ByteBuffer(string: "CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: x\r\n\r\n"))
        let text = try output(channel)
        #expect(text.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"))
        #expect(text.contains("Allow: GET\r\n"))
        #expect(!channel.isActive)
        #expect(try channel.readInbound(as: HTTPServerRequestPart.self) == nil)
    }

    @Test func http10WithoutKeepAliveClosesAfterTheAnswer() throws {
        let channel = try makeChannel()
        try channel.writeInbound(ByteBuffer(string: "GET /healthz HTTP/1.0\r\n\r\n"))
        guard case .head(let head) = try channel.readInbound(as: HTTPServerRequestPart.self) else {
            Issue.record("no request head reached the router")
            return
        }
        #expect(head.headers["connection"] == ["close"])
        try answer(channel)
        let text = try output(channel)
        #expect(text.contains("connection: close\r\n"))
        #expect(text.hasSuffix("{}"))
        #expect(!channel.isActive)
    }

    @Test func keepAliveRequestsStayOpen() throws {
        let channel = try makeChannel()
        try channel.writeInbound(ByteBuffer(string: "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"))
        var heads = 0
        while let part = try channel.readInbound(as: HTTPServerRequestPart.self) {
            if case .head(let head) = part {
                heads += 1
                #expect(head.headers["connection"] != ["close"])
            }
        }
        #expect(heads == 2)
        try answer(channel)
        try answer(channel)
        #expect(!(try output(channel)).lowercased().contains("connection: close"))
        #expect(channel.isActive)
        _ = try channel.finish()
    }

    @Test func parserErrorAfterPipelinedRequestsWaitsForTheirAnswers() throws {
        let channel = try makeChannel()
        try channel.writeInbound(ByteBuffer(string: "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\r\n\r\n"))
        #expect(try output(channel).isEmpty)  // nothing may be written before the two answers
        try answer(channel, body: "first")
        #expect(channel.isActive)
        try answer(channel, body: "second")
        let text = try output(channel)
        let first = try #require(text.range(of: "first"))
        let second = try #require(text.range(of: "second"))
        let refusal = try #require(text.range(of: "HTTP/1.1 400 Bad Request"))
        #expect(first.lowerBound < second.lowerBound && second.lowerBound < refusal.lowerBound)
        #expect(!channel.isActive)
    }

    @Test func badChunkInsideABodyEndsTheRequestThenRefuses() throws {
        let channel = try makeChannel()
        try channel.writeInbound(ByteBuffer(string: "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"))
        var parts: [String] = []
        while let part = try channel.readInbound(as: HTTPServerRequestPart.self) {
            switch part {
            case .head: parts.append("head")
            case .body: parts.append("body")
            case .end: parts.append("end")
            }
        }
        #expect(parts == ["head", "end"])  // the router's request is ended, so it can answer it
        try answer(channel, body: "answer")
        let text = try output(channel)
        #expect(text.contains("answer"))
        #expect(text.contains("HTTP/1.1 400 Bad Request"))
        #expect(!channel.isActive)
    }
}
