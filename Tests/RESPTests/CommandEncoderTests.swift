import NIOCore
import Testing

@testable import RESP

@Suite("Command encoder")
struct CommandEncoderTests {
    @Test func encodesArrayOfBulkStrings() {
        var buffer = ByteBuffer()
        RESPCommandEncoder.encode(["CLUSTER", "SLOT-STATS", "SLOTSRANGE", "0", "16383"], into: &buffer)
        #expect(String(buffer: buffer) == "*5\r\n$7\r\nCLUSTER\r\n$10\r\nSLOT-STATS\r\n$10\r\nSLOTSRANGE\r\n$1\r\n0\r\n$5\r\n16383\r\n")
    }

    @Test func lengthsAreUTF8ByteCounts() {
        var buffer = ByteBuffer()
        RESPCommandEncoder.encode(["CLIENT", "SETNAME", "clé"], into: &buffer)
        #expect(String(buffer: buffer) == "*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$4\r\nclé\r\n")
    }

    @Test func emptyArgumentsAndEmptyCommand() {
        var buffer = ByteBuffer()
        RESPCommandEncoder.encode(["ECHO", ""], into: &buffer)
        RESPCommandEncoder.encode([String](), into: &buffer)
        #expect(String(buffer: buffer) == "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n*0\r\n")
    }

    @Test func argumentsWithCRLFStayOneArgument() throws {
        var buffer = ByteBuffer()
        RESPCommandEncoder.encode(["SET", "k", "a\r\nFLUSHALL\r\n"], into: &buffer)
        #expect(String(buffer: buffer) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$13\r\na\r\nFLUSHALL\r\n\r\n")
        let decoded = try #require(try RESPToken(validating: &buffer))
        #expect(decoded.array.map { $0.compactMap(\.string) } == ["SET", "k", "a\r\nFLUSHALL\r\n"])
    }

    @Test func otherCollectionsAndByteBuffers() {
        var fromSlice = ByteBuffer()
        RESPCommandEncoder.encode(["x", "PING", "y"][1..<2], into: &fromSlice)
        #expect(String(buffer: fromSlice) == "*1\r\n$4\r\nPING\r\n")
        var fromBytes = ByteBuffer()
        RESPCommandEncoder.encode([ByteBuffer(string: "GET"), ByteBuffer(bytes: [0x00, 0xFF])], into: &fromBytes)
        #expect(Array(fromBytes.readableBytesView) == Array("*2\r\n$3\r\nGET\r\n$2\r\n".utf8) + [0x00, 0xFF] + Array("\r\n".utf8))
        let allocated = RESPCommandEncoder.encode(["PING"])
        #expect(String(buffer: allocated) == "*1\r\n$4\r\nPING\r\n")
    }

    @Test func appendsAfterExistingBytesForPipelining() throws {
        var buffer = ByteBuffer()
        RESPCommandEncoder.encode(["DBSIZE"], into: &buffer)
        RESPCommandEncoder.encode(["INFO", "keyspace"], into: &buffer)
        var decoder = RESPTokenDecoder()
        let commands = try decodeAll(&buffer, decoder: &decoder)
        #expect(commands.map { $0.array.map { $0.compactMap(\.string) } } == [["DBSIZE"], ["INFO", "keyspace"]])
    }
}
