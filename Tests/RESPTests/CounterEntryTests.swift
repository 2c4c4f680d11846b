import NIOCore
import Testing

@testable import RESP

/// The decoder's counter entries (read while validating) must be exactly what the reader would read from the bytes
/// itself, and reading them must never accept what plain validation rejects.
@Suite("Counter entries read while decoding")
struct CounterEntryTests {
    static let names = CounterNames(["key-count", "cpu-usec", "network-bytes-in", "network-bytes-out"])

    /// Replies whose elements are entries of every shape the fast path takes, and of shapes it must leave to the
    /// element-by-element path: unknown and repeated names, negative and 19-digit numbers, a `+` sign, an empty map,
    /// an odd flat array, an attribute inside an entry, a non-map second element, a null name.
    static let replies = [
        "*2\r\n*2\r\n:0\r\n%4\r\n$9\r\nkey-count\r\n:3\r\n$8\r\ncpu-usec\r\n:42\r\n$16\r\nnetwork-bytes-in\r\n:100\r\n"
            + "$17\r\nnetwork-bytes-out\r\n:9000\r\n*2\r\n:16383\r\n%1\r\n$9\r\nkey-count\r\n:0\r\n",
        "*2\r\n*2\r\n:5\r\n*8\r\n$9\r\nkey-count\r\n:1\r\n$8\r\ncpu-usec\r\n:2\r\n$16\r\nnetwork-bytes-in\r\n:3\r\n"
            + "$17\r\nnetwork-bytes-out\r\n:4\r\n*2\r\n:6\r\n*2\r\n$9\r\nkey-count\r\n:-7\r\n",
        "*3\r\n*2\r\n:1\r\n%2\r\n$12\r\nmemory-bytes\r\n:5\r\n$9\r\nkey-count\r\n:8\r\n"
            + "*2\r\n:2\r\n%2\r\n$9\r\nkey-count\r\n:1\r\n$9\r\nkey-count\r\n:2\r\n*2\r\n:3\r\n%0\r\n",
        "*4\r\n*2\r\n:1\r\n%1\r\n$9\r\nkey-count\r\n:1234567890123456789\r\n*2\r\n:+2\r\n%1\r\n$9\r\nkey-count\r\n:1\r\n"
            + "*2\r\n:3\r\n*3\r\n$9\r\nkey-count\r\n:1\r\n$1\r\nx\r\n*2\r\n:4\r\n%1\r\n$9\r\nkey-count\r\n|1\r\n+a\r\n+b\r\n:5\r\n",
        "*4\r\n*2\r\n:1\r\n+OK\r\n*2\r\n:2\r\n%1\r\n$-1\r\n:1\r\n*2\r\n:3\r\n%1\r\n+key-count\r\n:9\r\n"
            + "*2\r\n:4\r\n%1\r\n$9\r\nkey-count\r\n:2\r\n",
        // A top-level attribute with an entry in it, then the value: the attribute's entry is not the token's.
        "|1\r\n+meta\r\n*1\r\n*2\r\n:1\r\n%1\r\n$9\r\nkey-count\r\n:1\r\n*1\r\n*2\r\n:7\r\n%1\r\n$8\r\ncpu-usec\r\n:70\r\n",
        // Entries inside a nested array (as in EXEC's reply) and an integer before them.
        "*2\r\n:20000\r\n*2\r\n*2\r\n:10\r\n%1\r\n$9\r\nkey-count\r\n:4\r\n*2\r\n:11\r\n%1\r\n$9\r\nkey-count\r\n:5\r\n",
    ]

    /// What a reader takes from `token`, entry by entry, wherever the entries sit: every `[integer, map]` record it
    /// reads at each element position of every array, depth first, and where it ended.
    static func records(_ token: RESPToken, usingEntries: Bool) -> [String] {
        func walk(_ reader: inout RESPReader, into out: inout [String]) {
            var fast = reader
            if let record = fast.nextCounterRecord(names) {
                reader = fast
                out.append("\(record.key) \(record.values) \(record.found) @\(reader.index)")
                return
            }
            var probe = reader
            if case .array(let count) = probe.next() {
                reader = probe
                for _ in 0..<count { walk(&reader, into: &out) }
            } else {
                reader.skipValue()
            }
        }
        var out: [String] = []
        let body: (inout RESPReader) -> Void = { reader in walk(&reader, into: &out) }
        if usingEntries { token.withReader(counterNames: names, body) } else { token.withReader(body) }
        return out
    }

    @Test(arguments: replies.indices)
    func entriesMatchWhatTheReaderReadsAtEverySplit(_ index: Int) throws {
        let wire = Array(Self.replies[index].utf8)
        var plain = RESPTokenDecoder()
        var plainBuffer = ByteBuffer(bytes: wire)
        let reference = try #require(try plain.decode(buffer: &plainBuffer))
        let expected = Self.records(reference, usingEntries: false)
        #expect(!expected.isEmpty)
        for split in 1...wire.count {
            var decoder = RESPTokenDecoder(counterNames: Self.names)
            var buffer = ByteBuffer(bytes: wire[..<split])
            var token = try decoder.decode(buffer: &buffer)
            if token == nil {
                buffer.writeBytes(wire[split...])
                token = try decoder.decode(buffer: &buffer)
            }
            let decoded = try #require(token, "split \(split)")
            #expect(decoded == reference, "split \(split)")
            #expect(Self.records(decoded, usingEntries: true) == expected, "split \(split)")
        }
    }

    @Test func wellFormedEntriesAreReadWhileDecoding() throws {
        var decoder = RESPTokenDecoder(counterNames: Self.names)
        var buffer = bytes(Self.replies[0])
        let token = try #require(try decoder.decode(buffer: &buffer))
        let entries = try #require(token.counterEntries?.entries)
        #expect(entries.map(\.offset) == [4, 114])
        #expect(entries.map(\.record.key) == [0, 16383])
        #expect(entries[0].record.values == (3, 42, 100, 9000) && entries[0].record.found == 0b1111)
        // Other names than the decoder's: the reader ignores the entries and reads the bytes itself.
        let other = CounterNames(["cpu-usec"])
        let keys = token.withReader(counterNames: other) { reader -> [Int64] in
            _ = reader.next()
            return (0..<2).compactMap { _ in reader.nextCounterRecord(other).map { $0.values.0 } }
        }
        #expect(keys == [42, 0])
    }

    @Test func theTopLevelAttributeEntriesAreDroppedAndOffsetsStartAtTheValue() throws {
        var decoder = RESPTokenDecoder(counterNames: Self.names)
        var buffer = bytes(Self.replies[5])
        let token = try #require(try decoder.decode(buffer: &buffer))
        let entries = try #require(token.counterEntries?.entries)
        #expect(entries.count == 1)
        #expect(entries[0].offset == 4 && entries[0].record.key == 7)
    }

    /// Every one-byte change of a well-formed entry (a near miss of a name header above all: `$9`, `key-counT`, a
    /// missing CR) is accepted or refused, and read, exactly as the item-by-item path does.
    @Test func everyOneByteChangeOfAnEntryDecodesAsWithoutEntries() throws {
        let wire = Array(Self.replies[0].utf8)
        var changed = 0
        for position in 4..<114 {
            for replacement in [UInt8(ascii: "0"), UInt8(ascii: "a"), UInt8(ascii: "\r"), UInt8(ascii: "$"), UInt8(ascii: ":")]
            where wire[position] != replacement {
                var mutated = wire
                mutated[position] = replacement
                var plain = RESPTokenDecoder()
                var plainBuffer = ByteBuffer(bytes: mutated)
                var fused = RESPTokenDecoder(counterNames: Self.names)
                var fusedBuffer = ByteBuffer(bytes: mutated)
                let reference = Result { try plain.decode(buffer: &plainBuffer) }
                let decoded = Result { try fused.decode(buffer: &fusedBuffer) }
                switch (reference, decoded) {
                case (.success(let want?), .success(let got?)):
                    #expect(got == want, "byte \(position) -> \(replacement)")
                    #expect(Self.records(got, usingEntries: true) == Self.records(want, usingEntries: false),
                            "byte \(position) -> \(replacement)")
                    changed += 1
                case (.success(nil), .success(nil)): break
                case (.failure(let want as RESPParsingError), .failure(let got as RESPParsingError)):
                    #expect(got.code == want.code, "byte \(position) -> \(replacement)")
                default:
                    Issue.record("byte \(position) -> \(replacement): \(reference) vs \(decoded)")
                }
            }
        }
        #expect(changed > 50)  // most changes (digits, name letters) still decode: the comparison had something to compare
    }

    /// An entry that breaks a limit fails exactly as it does without entries: the fast path never widens what is accepted.
    @Test(arguments: [
        (RESPLimits(maxBulkLength: 64, maxAggregateCount: 64, maxDepth: 2, maxReplySize: 1 << 20), RESPParsingError.Code.tooDeep),
        (RESPLimits(maxBulkLength: 8, maxAggregateCount: 64, maxDepth: 8, maxReplySize: 1 << 20), .bulkTooLong),
        (RESPLimits(maxBulkLength: 64, maxAggregateCount: 1, maxDepth: 8, maxReplySize: 1 << 20), .aggregateTooLarge),
        (RESPLimits(maxBulkLength: 64, maxAggregateCount: 64, maxDepth: 8, maxReplySize: 30), .replyTooLarge),
    ])
    func limitsHoldForEntries(_ limits: RESPLimits, _ code: RESPParsingError.Code) {
        let reply = "*1\r\n*2\r\n:1\r\n%1\r\n$9\r\nkey-count\r\n:1\r\n"
        for names in [nil, Self.names] {
            var decoder = RESPTokenDecoder(limits: limits, counterNames: names)
            var buffer = bytes(reply)
            #expect(throws: RESPParsingError.self) { _ = try decoder.decode(buffer: &buffer) }
            var again = RESPTokenDecoder(limits: limits, counterNames: names)
            var retry = bytes(reply)
            do {
                _ = try again.decode(buffer: &retry)
            } catch {
                #expect(error.code == code, "names: \(names != nil)")
            }
        }
    }
}
