import NIOCore
import Testing

@testable import RESP

@Suite("Pipelined replies")
struct PipeliningTests {
    @Test func severalRepliesInOneReadDecodeInOrder() throws {
        var buffer = bytes("+OK\r\n:3276\r\n$4\r\nPONG\r\n*2\r\n:1\r\n:2\r\n-ERR no\r\n|1\r\n+a\r\n+b\r\n_\r\n")
        var decoder = RESPTokenDecoder()
        let tokens = try decodeAll(&buffer, decoder: &decoder)
        #expect(tokens.map(\.value) == [
            .simpleString(bytes("OK")),
            .integer(3276),
            .bulkString(bytes("PONG")),
            try decodeOne("*2\r\n:1\r\n:2\r\n").value,
            .simpleError(bytes("ERR no")),
            .null,
        ])
        #expect(buffer.readableBytes == 0)
    }

    @Test func partialThirdReplyWaitsAndKeepsItsProgress() throws {
        var buffer = bytes("+a\r\n+b\r\n*2\r\n:1\r\n")
        var decoder = RESPTokenDecoder()
        #expect(try decodeAll(&buffer, decoder: &decoder).compactMap(\.string) == ["a", "b"])
        #expect(buffer == bytes("*2\r\n:1\r\n"))
        buffer.writeString(":2\r\n+c\r\n")
        let rest = try decodeAll(&buffer, decoder: &decoder)
        #expect(rest.count == 2)
        #expect(rest[0].array.map { $0.compactMap(\.int64) } == [1, 2])
        #expect(rest[1].string == "c")
    }

    @Test func errorOffsetsAreRelativeToTheReplyInProgress() throws {
        var buffer = bytes("+a\r\n*2\r\n:1\r\n?")
        var decoder = RESPTokenDecoder()
        #expect(try decoder.decode(buffer: &buffer)?.string == "a")
        do {
            _ = try decoder.decode(buffer: &buffer)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidTypeMarker)
            #expect(error.offset == 8)
        }
    }
}
