import ClusterModel
import Testing

@Suite("Slot ranges")
struct SlotRangeTests {
    @Test func basics() {
        let range = SlotRange(0, 99)
        #expect(range.count == 100)
        #expect(range.contains(0) && range.contains(99) && !range.contains(100))
        #expect(range.description == "0-99")
        #expect(SlotRange(slot: 100).description == "100")
        #expect(SlotRange(slot: 100).count == 1)
        #expect(SlotRange(5461...10922) == SlotRange(5461, 10922))
        #expect(SlotRange(0, 5) < SlotRange(1, 2))
        #expect(SlotRange(0, 5) < SlotRange(0, 6))
        #expect(SlotRanges.slotCount == 16384)
    }

    @Test func format() {
        #expect(SlotRanges.format([]) == "")
        #expect(SlotRanges.format([SlotRange(slot: 100)]) == "100")
        #expect(SlotRanges.format([SlotRange(0, 99), SlotRange(101, 5460)]) == "0-99,101-5460")
        #expect(SlotRanges.format([SlotRange(0, 16383)]) == "0-16383")
    }

    @Test func coalesce() {
        #expect(SlotRanges.coalesce([]) == [])
        #expect(SlotRanges.coalesce([5]) == [SlotRange(slot: 5)])
        #expect(SlotRanges.coalesce([3, 1, 2, 2, 7, 9, 8, 100]) == [SlotRange(1, 3), SlotRange(7, 9), SlotRange(slot: 100)])
        #expect(SlotRanges.coalesce(0...16383) == [SlotRange(0, 16383)])
        #expect(SlotRanges.coalesce([16383, 0]) == [SlotRange(slot: 0), SlotRange(slot: 16383)])
        #expect(SlotRanges.coalesce([-1, 16384, 4]) == [SlotRange(slot: 4)])
        let odd = SlotRanges.coalesce(stride(from: 1, to: 16384, by: 2))
        #expect(odd.count == 8192)
        #expect(SlotRanges.count(odd) == 8192)
    }

    @Test func coalesceRoundTripsFormat() throws {
        let ranges = [SlotRange(0, 99), SlotRange(101, 1999), SlotRange(2101, 5460)]
        #expect(SlotRanges.coalesce(ranges.flatMap(\.slots)) == ranges)
        #expect(SlotRanges.format(SlotRanges.coalesce(ranges.flatMap(\.slots))) == "0-99,101-1999,2101-5460")
    }
}
