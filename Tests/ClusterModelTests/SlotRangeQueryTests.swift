import ClusterModel
import Testing

@Suite("Slot-stats query validation")
struct SlotRangeQueryTests {
    private func validate(_ start: [String], _ end: [String]) -> Result<SlotRangeQuery, SlotRangeQueryError> {
        SlotRangeQuery.validate(startValues: start, endValues: end)
    }

    @Test(arguments: [
        ([String](), [String](), 0, 16383),
        (["0"], [], 0, 16383),
        ([], ["16383"], 0, 16383),
        (["100"], ["200"], 100, 200),
        (["5"], ["5"], 5, 5),
        (["16383"], [], 16383, 16383),
        ([], ["0"], 0, 0),
        (["00100"], ["0200"], 100, 200),
    ])
    func accepted(start: [String], end: [String], expectedStart: Int, expectedEnd: Int) throws {
        let query = try validate(start, end).get()
        #expect(query == SlotRangeQuery(start: expectedStart, end: expectedEnd))
        #expect(query.slotRange == SlotRange(expectedStart, expectedEnd))
    }

    static let notAnInteger = ["", "+1", "-1", " 1", "1 ", "1.0", "0x1", "1e3", "abc", "１", "16384", "99999", "000001", "99999999999999999999999"]

    @Test(arguments: notAnInteger)
    func rejectedStart(value: String) {
        #expect(validate([value], []) == .failure(SlotRangeQueryError(
            parameter: "start_slot", message: "start_slot must be an integer between 0 and 16383")))
    }

    @Test(arguments: notAnInteger)
    func rejectedEnd(value: String) {
        #expect(validate([], [value]) == .failure(SlotRangeQueryError(
            parameter: "end_slot", message: "end_slot must be an integer between 0 and 16383")))
    }

    @Test func repeatedParameter() {
        #expect(validate(["1", "2"], []) == .failure(SlotRangeQueryError(
            parameter: "start_slot", message: "start_slot must be given at most once")))
        #expect(validate([], ["1", "1"]) == .failure(SlotRangeQueryError(
            parameter: "end_slot", message: "end_slot must be given at most once")))
    }

    @Test func startAfterEnd() {
        #expect(validate(["10"], ["5"]) == .failure(SlotRangeQueryError(
            parameter: "start_slot", message: "start_slot (10) must not be greater than end_slot (5)")))
    }

    @Test func startChecksComeFirst() {
        #expect((try? validate(["x"], ["y"]).get()) == nil)
        if case .failure(let error) = validate(["x"], ["y"]) {
            #expect(error.parameter == "start_slot")
        }
    }
}
