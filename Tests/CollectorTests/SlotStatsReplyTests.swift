import NIOCore
import RESP
import Testing
@testable import Collector

/// SLOT-STATS replies in the shapes a real Valkey 9.1.2 sends (see shared/reference).
struct SlotStatsReplyTests {
    func token(_ lines: [String]) throws -> RESPToken {
        var buffer = ByteBuffer(string: lines.map { $0 + "\r\n" }.joined())
        return try #require(try RESPToken(validating: &buffer))
    }

    static let metrics = ["$9", "key-count", ":3", "$8", "cpu-usec", ":1", "$16", "network-bytes-in", ":25", "$17", "network-bytes-out", ":9"]

    @Test func resp2FlatArray() throws {
        let reply = try token(["*2", "*2", ":119", "*8"] + Self.metrics + ["*2", ":126", "*8"] + Self.metrics)
        let stats = try SlotStatsReply.parse(reply).get()
        #expect(stats == [
            SlotStat(slot: 119, keyCount: 3, cpuUsec: 1, networkBytesIn: 25, networkBytesOut: 9),
            SlotStat(slot: 126, keyCount: 3, cpuUsec: 1, networkBytesIn: 25, networkBytesOut: 9),
        ])
    }

    @Test func resp3Map() throws {
        let reply = try token(["*1", "*2", ":0", "%4"] + Self.metrics)
        #expect(try SlotStatsReply.parse(reply).get() == [SlotStat(slot: 0, keyCount: 3, cpuUsec: 1, networkBytesIn: 25, networkBytesOut: 9)])
    }

    @Test func keyCountOnlyWhenTrackingDisabled() throws {
        let reply = try token(["*1", "*2", ":3", "*2", "$9", "key-count", ":7"])
        let stats = try SlotStatsReply.parse(reply).get()
        #expect(stats == [SlotStat(slot: 3, keyCount: 7)])
        #expect(stats[0].hasResourceCounters == false)
    }

    /// NodeCollector reads one reply per slot range into a single array with the reader-based parse.
    @Test func severalRepliesAppendToOneArray() throws {
        let reply = try token(["*3", ":42", "*1", "*2", ":1", "%1", "$9", "key-count", ":2", "*1", "*2", ":9", "%1", "$9", "key-count", ":5"])
        let stats = reply.withReader { reader -> [SlotStat]? in
            guard case .array(3) = reader.next(), case .integer(42) = reader.next() else { return nil }
            var stats: [SlotStat] = []
            for _ in 0..<2 {
                if SlotStatsReply.parse(&reader, appendingTo: &stats) != nil { return nil }
            }
            return stats
        }
        #expect(stats == [SlotStat(slot: 1, keyCount: 2), SlotStat(slot: 9, keyCount: 5)])
    }

    /// Names are matched on length and bytes: one of a known name's length with other bytes is an unknown metric.
    @Test func nameOfAKnownLengthButOtherBytesIsIgnored() throws {
        let reply = try token(["*1", "*2", ":3", "%2", "$9", "key-count", ":7", "$8", "cpu-usex", ":99"])
        let stats = try SlotStatsReply.parse(reply).get()
        #expect(stats == [SlotStat(slot: 3, keyCount: 7)])
    }

    @Test func emptyPrimary() throws {
        #expect(try SlotStatsReply.parse(try token(["*0"])).get().isEmpty)
    }

    @Test(arguments: [
        ["+OK"],
        ["*1", ":5"],
        ["*1", "*2", ":16384", "*2", "$9", "key-count", ":1"],
        ["*1", "*2", "$1", "x", "*2", "$9", "key-count", ":1"],
        ["*1", "*2", ":1", "*1", "$9"],
        ["*1", "*2", ":1", "*2", "$9", "key-count", "$1", "x"],
        ["*1", "*2", ":1", "*2", "$8", "cpu-usec", ":1"],
    ])
    func wrongShapesAreRejected(_ lines: [String]) throws {
        // `*1 $9` above is incomplete RESP, so build what is valid and expect parse failure or no token.
        var buffer = ByteBuffer(string: lines.map { $0 + "\r\n" }.joined())
        guard let reply = try? RESPToken(validating: &buffer) else { return }
        #expect(throws: SlotStatsParseError.self) { try SlotStatsReply.parse(reply).get() }
    }

    /// Shapes the one-pass reader does not take (attribute, simple-string name, repeated and unknown names, a
    /// negative slot) are read by the element-by-element path with the same result as before it existed.
    @Test(arguments: [
        (["*1", "*2", ":4", "%2", "+key-count", ":6", "+cpu-usec", ":2"], SlotStat(slot: 4, keyCount: 6, cpuUsec: 2)),
        (["*1", "|1", "+ttl", ":1", "*2", ":4", "%1", "$9", "key-count", ":6"], SlotStat(slot: 4, keyCount: 6)),
        (["*1", "*2", ":4", "%2", "$9", "key-count", ":6", "$9", "key-count", ":8"], SlotStat(slot: 4, keyCount: 8)),
        (["*1", "*2", ":4", "%3", "$12", "memory-bytes", ":5", "$3", "abc", ":1", "$9", "key-count", ":6"], SlotStat(slot: 4, keyCount: 6)),
        (["*1", "*2", ":16383", "*4", "$17", "network-bytes-out", ":-3", "$9", "key-count", ":0"], SlotStat(slot: 16383, keyCount: 0, networkBytesOut: -3)),
    ])
    func shapesBesideTheFastPath(_ lines: [String], _ expected: SlotStat) throws {
        #expect(try SlotStatsReply.parse(try token(lines)).get() == [expected])
    }

    @Test func negativeSlotIsRejected() throws {
        let reply = try token(["*1", "*2", ":-1", "%1", "$9", "key-count", ":1"])
        #expect(throws: SlotStatsParseError.self) { try SlotStatsReply.parse(reply).get() }
    }

    /// The compact layout (40 bytes, not 64) holds a primary's 5461 entries in 218 KB, and an absent
    /// counter stays distinct from a reported 0.
    @Test func compactSlotStat() {
        #expect(MemoryLayout<SlotStat>.stride <= 40)
        var stat = SlotStat(slot: 7, keyCount: 1, cpuUsec: 0)
        #expect(stat.cpuUsec == 0 && stat.networkBytesIn == nil && stat.hasResourceCounters)
        #expect(stat != SlotStat(slot: 7, keyCount: 1))
        stat.cpuUsec = nil
        #expect(stat == SlotStat(slot: 7, keyCount: 1))
        stat.networkBytesOut = 12
        stat.slot = 16383
        #expect(stat == SlotStat(slot: 16383, keyCount: 1, networkBytesOut: 12))
    }
}
