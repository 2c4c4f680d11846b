import NIOCore
import Testing

@testable import RESP

/// `CLUSTER SLOT-STATS` replies captured from Valkey 9.1.2 (shared/reference/valkey-9.1.2/slotstats-*.txt),
/// copied here so the tests do not depend on files outside the package.
@Suite("CLUSTER SLOT-STATS reference captures")
struct SlotStatsReferenceTests {
    /// `CLUSTER SLOT-STATS ORDERBY cpu-usec LIMIT 3 DESC` over RESP2 (331 bytes).
    static let resp2CPUTop3 = """
        *3
        *2
        :3190
        *8
        $9
        key-count
        :1
        $8
        cpu-usec
        :10
        $16
        network-bytes-in
        :26
        $17
        network-bytes-out
        :10
        *2
        :2592
        *8
        $9
        key-count
        :1
        $8
        cpu-usec
        :9
        $16
        network-bytes-in
        :24
        $17
        network-bytes-out
        :8
        *2
        :3580
        *8
        $9
        key-count
        :2
        $8
        cpu-usec
        :6
        $16
        network-bytes-in
        :27
        $17
        network-bytes-out
        :11
        """

    /// The same command after `HELLO 3` (331 bytes): the metrics are a map.
    static let resp3CPUTop3 = resp2CPUTop3.split(separator: "\n").map { $0 == "*8" ? "%4" : String($0) }.joined(separator: "\n")

    /// `CLUSTER SLOT-STATS SLOTSRANGE 0 3` with `cluster-slot-stats-enabled no` (128 bytes): key-count only.
    static let resp2DisabledRange = """
        *4
        *2
        :0
        *2
        $9
        key-count
        :0
        *2
        :1
        *2
        $9
        key-count
        :0
        *2
        :2
        *2
        $9
        key-count
        :0
        *2
        :3
        *2
        $9
        key-count
        :0
        """

    static let expectedTop3 = [
        SlotStatsEntry(slot: 3190, metrics: ["key-count": 1, "cpu-usec": 10, "network-bytes-in": 26, "network-bytes-out": 10]),
        SlotStatsEntry(slot: 2592, metrics: ["key-count": 1, "cpu-usec": 9, "network-bytes-in": 24, "network-bytes-out": 8]),
        SlotStatsEntry(slot: 3580, metrics: ["key-count": 2, "cpu-usec": 6, "network-bytes-in": 27, "network-bytes-out": 11]),
    ]

    @Test func resp2ShapeIsFlatArrayOfEight() throws {
        var buffer = wireBytes(fromCapture: Self.resp2CPUTop3)
        #expect(buffer.readableBytes == 331)
        let token = try #require(try RESPToken(validating: &buffer))
        #expect(buffer.readableBytes == 0)
        let first = try #require(token.array?.first { _ in true }?.array.map(Array.init))
        guard case .array(let metrics) = first[1].value else {
            Issue.record("RESP2 metrics should be an array, got \(first[1].value)")
            return
        }
        #expect(metrics.count == 8)
        #expect(try slotStatsEntries(token) == Self.expectedTop3)
    }

    @Test func resp3ShapeIsMapOfFour() throws {
        var buffer = wireBytes(fromCapture: Self.resp3CPUTop3)
        #expect(buffer.readableBytes == 331)
        let token = try #require(try RESPToken(validating: &buffer))
        let first = try #require(token.array?.first { _ in true }?.array.map(Array.init))
        guard case .map(let metrics) = first[1].value else {
            Issue.record("RESP3 metrics should be a map, got \(first[1].value)")
            return
        }
        #expect(metrics.count == 4)
        #expect(try slotStatsEntries(token) == Self.expectedTop3)
    }

    @Test func statsDisabledHasKeyCountOnly() throws {
        var buffer = wireBytes(fromCapture: Self.resp2DisabledRange)
        #expect(buffer.readableBytes == 128)
        let token = try #require(try RESPToken(validating: &buffer))
        let entries = try slotStatsEntries(token)
        #expect(entries.map(\.slot) == [0, 1, 2, 3])
        #expect(entries.allSatisfy { $0.metrics == ["key-count": 0] })
    }

    @Test func emptyPrimaryRepliesWithEmptyArray() throws {
        let token = try decodeOne("*0\r\n")
        #expect(try slotStatsEntries(token).isEmpty)
    }
}
