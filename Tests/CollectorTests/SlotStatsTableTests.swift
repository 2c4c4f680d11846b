import ClusterModel
import Testing
@testable import Collector

/// The slot table's index over each owner's own entry array.
struct SlotStatsTableTests {
    static let a = NodeID("b897b6a6954bb471cb17532e870eaf0f95297f4e")!
    static let b = NodeID("be155b5f2d3968d99a2e135c24b8efaf6f2a14bb")!

    static func stat(_ slot: Int, keys: Int64) -> SlotStat {
        SlotStat(slot: slot, keyCount: keys, cpuUsec: 1, networkBytesIn: 2, networkBytesOut: 3)
    }

    @Test func lookupsFindEachSlotWithItsOwner() {
        var table = SlotStatsTable(availability: .full)
        table.record([Self.stat(5, keys: 50), Self.stat(0, keys: 1), Self.stat(16383, keys: 9)], owner: Self.a)
        table.record([Self.stat(7, keys: 70)], owner: Self.b)
        #expect(table.stat(ofSlot: 5) == Self.stat(5, keys: 50))
        #expect(table.stat(ofSlot: 16383)?.keyCount == 9)
        #expect(table.owner(ofSlot: 0) == Self.a)
        #expect(table.owner(ofSlot: 7) == Self.b)
        #expect(table.stat(ofSlot: 6) == nil && table.owner(ofSlot: 6) == nil)
        #expect(table.stat(ofSlot: -1) == nil && table.stat(ofSlot: 16384) == nil && table.owner(ofSlot: 16384) == nil)
        #expect(table.reportedSlots == [0, 5, 7, 16383])
        #expect(table.reportedSlotCount == 4)
        #expect(table.totalKeys == 130)
    }

    @Test func aLaterEntryForASlotReplacesTheEarlierOne() {
        var table = SlotStatsTable(availability: .full)
        table.record([Self.stat(3, keys: 1), Self.stat(3, keys: 2)], owner: Self.a)
        #expect(table.stat(ofSlot: 3)?.keyCount == 2)
        table.record(Self.stat(3, keys: 4), owner: Self.b)
        #expect(table.stat(ofSlot: 3)?.keyCount == 4 && table.owner(ofSlot: 3) == Self.b)
        #expect(table.reportedSlotCount == 1 && table.totalKeys == 4)
    }

    @Test func singleRecordsOfAlternatingOwnersKeepTheirOwners() {
        var table = SlotStatsTable(availability: .full)
        for slot in 0..<10 { table.record(Self.stat(slot, keys: Int64(slot)), owner: slot % 2 == 0 ? Self.a : Self.b) }
        for slot in 0..<10 {
            #expect(table.stat(ofSlot: slot)?.keyCount == Int64(slot))
            #expect(table.owner(ofSlot: slot) == (slot % 2 == 0 ? Self.a : Self.b))
        }
    }

    @Test func importedKeysChangeTheTableNotTheRecordedArray() {
        let reply = [Self.stat(1, keys: 10), Self.stat(2, keys: .max - 1)]
        var table = SlotStatsTable(availability: .full)
        table.record(reply, owner: Self.a)
        table.addImportedKeys(5, toSlot: 1)
        table.addImportedKeys(5, toSlot: 2)
        table.addImportedKeys(5, toSlot: 3)  // not reported: ignored
        #expect(table.stat(ofSlot: 1)?.keyCount == 15)
        #expect(table.stat(ofSlot: 2)?.keyCount == .max)  // saturates
        #expect(table.stat(ofSlot: 3) == nil)
        #expect(reply[0].keyCount == 10 && reply[1].keyCount == .max - 1)
        #expect(table.totalKeys == .max)
    }
}
