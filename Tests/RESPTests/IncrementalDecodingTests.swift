import NIOCore
import Testing

@testable import RESP

@Suite("Incremental decoding")
struct IncrementalDecodingTests {
    /// A small reply touching every kind of item: lines, blobs, nested aggregates, an attribute.
    static let mixedReply =
        "*7\r\n+OK\r\n:-12\r\n$5\r\nhello\r\n%1\r\n=8\r\ntxt:abcd\r\n~2\r\n#t\r\n,1.5e3\r\n|1\r\n+a\r\n_\r\n_\r\n(123\r\n!3\r\nERR\r\n"

    @Test func everySplitPointDecodesTheSameValue() throws {
        let whole = try decodeOne(Self.mixedReply)
        let wire = Array(Self.mixedReply.utf8)
        for split in 0...wire.count {
            var decoder = RESPTokenDecoder()
            var buffer = ByteBuffer(bytes: wire[..<split])
            let early = try decoder.decode(buffer: &buffer)
            if split < wire.count {
                #expect(early == nil, "split \(split): decoded before the reply was complete")
                buffer.writeBytes(wire[split...])
                let token = try #require(try decoder.decode(buffer: &buffer), "split \(split)")
                #expect(token == whole, "split \(split)")
            } else {
                #expect(early == whole)
            }
            #expect(buffer.readableBytes == 0, "split \(split)")
        }
    }

    /// Numbers at the edges of the scanner's fast path (which takes at most 18 digits and only complete items)
    /// decode the same whole and split at every byte, whichever path each item ends up on.
    @Test func numbersAtTheFastPathEdgesDecodeTheSameAtEverySplit() throws {
        let reply = "*9\r\n:999999999999999999\r\n:-9223372036854775808\r\n:9223372036854775807\r\n:+5\r\n:007\r\n"
            + "$0\r\n\r\n$-1\r\n*-1\r\n%1\r\n$1\r\nk\r\n*0\r\n"
        let whole = try decodeOne(reply)
        #expect(whole.array?.map(\.int64) == [999_999_999_999_999_999, .min, .max, 5, 7, nil, nil, nil, nil])
        let wire = Array(reply.utf8)
        for split in 1..<wire.count {
            var decoder = RESPTokenDecoder()
            var buffer = ByteBuffer(bytes: wire[..<split])
            #expect(try decoder.decode(buffer: &buffer) == nil, "split \(split)")
            buffer.writeBytes(wire[split...])
            #expect(try decoder.decode(buffer: &buffer) == whole, "split \(split)")
        }
    }

    /// A 19-digit integer that overflows Int64 is refused, as is a length too long to be a count.
    @Test func overflowingNumbersAreRefusedPastTheFastPath() {
        for reply in ["*1\r\n:9223372036854775808\r\n", "*1\r\n$99999999999999999999\r\n"] {
            #expect(throws: RESPParsingError.self, "\(reply)") { _ = try decodeOne(reply) }
        }
    }

    @Test func oneByteAtATimeWithCompaction() throws {
        let whole = try decodeOne(Self.mixedReply)
        var decoder = RESPTokenDecoder()
        var buffer = ByteBuffer()
        var tokens: [RESPToken] = []
        let twice = Self.mixedReply + Self.mixedReply
        for byte in twice.utf8 {
            buffer.writeInteger(byte)
            tokens += try decodeAll(&buffer, decoder: &decoder)
            // ByteToMessageHandler may move the unread bytes to the front; the decoder's offsets must survive.
            buffer.discardReadBytes()
        }
        #expect(tokens == [whole, whole])
        // Each byte is looked at about once, not once per read.
        #expect(decoder.bytesExamined < 2 * twice.utf8.count)
    }

    /// A full-primary `CLUSTER SLOT-STATS SLOTSRANGE 0 16383` reply: 5461 entries, all four metrics.
    static func largeSlotStatsReply() -> (wire: ByteBuffer, expected: [SlotStatsEntry]) {
        var wire = ByteBuffer()
        var expected: [SlotStatsEntry] = []
        wire.writeString("*5461\r\n")
        for slot in Int64(0)..<5461 {
            let metrics: [(String, Int64)] = [
                // Mostly small numbers, as on a real primary, so the size matches a real reply.
                ("key-count", slot % 10),
                ("cpu-usec", slot * 7 % 10),
                ("network-bytes-in", slot * 13 % 100),
                ("network-bytes-out", slot * 31 % 10),
            ]
            wire.writeString("*2\r\n:\(slot)\r\n*8\r\n")
            for (name, value) in metrics {
                wire.writeString("$\(name.utf8.count)\r\n\(name)\r\n:\(value)\r\n")
            }
            expected.append(SlotStatsEntry(slot: slot, metrics: Dictionary(uniqueKeysWithValues: metrics)))
        }
        return (wire, expected)
    }

    @Test func largeSlotStatsReplyIn1KBReadsIsScannedOnce() throws {
        let (wire, expected) = Self.largeSlotStatsReply()
        let size = wire.readableBytes
        #expect((560_000...610_000).contains(size), "size \(size) should match a real full reply (~584 KB)")

        var decoder = RESPTokenDecoder()
        var buffer = ByteBuffer()
        var remaining = wire
        var tokens: [RESPToken] = []
        var reads = 0
        while remaining.readableBytes > 0 {
            var chunk = remaining.readSlice(length: min(1024, remaining.readableBytes))!
            buffer.writeBuffer(&chunk)
            reads += 1
            tokens += try decodeAll(&buffer, decoder: &decoder)
            if remaining.readableBytes > 0 {
                #expect(tokens.isEmpty, "returned a token before the last read")
            }
        }
        #expect(reads > 500)
        #expect(tokens.count == 1)
        #expect(buffer.readableBytes == 0)
        let token = try #require(tokens.first)
        #expect(token.base == wire)
        #expect(try slotStatsEntries(token) == expected)
        // Re-scanning from the start on every read would examine about size * reads / 2 (~170 MB) bytes.
        #expect(decoder.bytesExamined >= size)
        #expect(decoder.bytesExamined < 2 * size, "examined \(decoder.bytesExamined) bytes for a \(size)-byte reply")
    }

    @Test func largeBulkPayloadIsNotScannedWhileWaiting() throws {
        let payloadSize = 1 << 20
        var decoder = RESPTokenDecoder()
        var buffer = ByteBuffer(string: "$\(payloadSize)\r\n")
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 1024)
        for _ in 0..<(payloadSize / 1024) {
            #expect(try decoder.decode(buffer: &buffer) == nil)
            buffer.writeBytes(chunk)
        }
        // While waiting only the header was read; the payload is stepped over once, when it is all there.
        #expect(decoder.bytesExamined < 100 * 1024)
        buffer.writeString("\r\n")
        let token = try #require(try decoder.decode(buffer: &buffer))
        guard case .bulkString(let payload) = token.value else {
            Issue.record("not a bulk string")
            return
        }
        #expect(payload.readableBytes == payloadSize)
    }

    @Test func longSimpleStringLineIsResumedNotRestarted() throws {
        let length = 256 * 1024
        var decoder = RESPTokenDecoder()
        var buffer = ByteBuffer(string: "+")
        let chunk = [UInt8](repeating: UInt8(ascii: "y"), count: 1024)
        for _ in 0..<(length / 1024) {
            buffer.writeBytes(chunk)
            #expect(try decoder.decode(buffer: &buffer) == nil)
        }
        buffer.writeString("\r")
        #expect(try decoder.decode(buffer: &buffer) == nil)
        buffer.writeString("\n")
        let token = try #require(try decoder.decode(buffer: &buffer))
        #expect(token.string?.utf8.count == length)
        #expect(decoder.bytesExamined < 2 * length)
    }

    @Test func decodeLastThrowsTruncatedAtEOFWithPartialReply() throws {
        var decoder = RESPTokenDecoder()
        var buffer = bytes("*2\r\n:1\r\n")
        #expect(try decoder.decode(buffer: &buffer) == nil)
        do {
            _ = try decoder.decodeLast(buffer: &buffer, seenEOF: true)
            Issue.record("expected truncated")
        } catch {
            #expect(error.code == .truncated)
        }
    }

    @Test func decodeLastReturnsCompleteRepliesThenNil() throws {
        var decoder = RESPTokenDecoder()
        var buffer = bytes("+a\r\n+b\r\n")
        #expect(try decoder.decodeLast(buffer: &buffer, seenEOF: true)?.string == "a")
        #expect(try decoder.decodeLast(buffer: &buffer, seenEOF: true)?.string == "b")
        #expect(try decoder.decodeLast(buffer: &buffer, seenEOF: true) == nil)
        // Without EOF (handler removed) a partial reply is just not decoded.
        var partial = bytes("$5\r\nab")
        #expect(try decoder.decodeLast(buffer: &partial, seenEOF: false) == nil)
    }
}
