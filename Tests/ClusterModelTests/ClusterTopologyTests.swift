import ClusterModel
import Testing

@Suite("CLUSTER NODES replies")
struct ClusterTopologyTests {
    static let id7000 = NodeID("b897b6a6954bb471cb17532e870eaf0f95297f4e")!
    static let id7001 = NodeID("be155b5f2d3968d99a2e135c24b8efaf6f2a14bb")!
    static let id7002 = NodeID("7a3da3018911828288ae05b5d7cde4f2bbf045b4")!
    static let id7006 = NodeID("da254f7cd84c169fc6daade35e6a4ca271fd1e78")!

    private func parseError(_ text: String) -> ClusterNodesParseError? {
        do {
            _ = try ClusterTopology(parsingClusterNodes: text)
            return nil
        } catch {
            return error
        }
    }

    private func line(_ id: String, slots: String = "") -> String {
        "\(id) 127.0.0.1:7000@17000 master - 0 0 1 connected \(slots)"
    }

    @Test func sixNodeFixture() throws {
        let topology = try ClusterTopology(parsingClusterNodes: Fixtures.text("cluster-nodes.txt"))
        #expect(topology.nodes.count == 6)
        #expect(topology.nodes.first?.address?.port == 7005)  // reply order is kept
        #expect(topology.myself?.id == Self.id7000)
        #expect(topology.primaries.map(\.address?.port) == [7002, 7000, 7001])
        #expect(topology.replicas(of: Self.id7000).map(\.address?.port) == [7004])
        #expect(topology.primary(of: NodeID("fc857912d0adb5ee0a7bdd9e3355af4256daa218")!)?.id == Self.id7000)
        #expect(topology.assignedSlotCount == 16384)
        #expect(topology.allSlotsCovered)
        #expect(topology.unassignedSlotRanges.isEmpty)
        #expect(topology.owner(ofSlot: 0)?.id == Self.id7000)
        #expect(topology.owner(ofSlot: 5460)?.id == Self.id7000)
        #expect(topology.owner(ofSlot: 5461)?.id == Self.id7001)
        #expect(topology.owner(ofSlot: 16383)?.id == Self.id7002)
        #expect(topology.owner(ofSlot: 16384) == nil)
        #expect(topology.owner(ofSlot: -1) == nil)
        #expect(topology.slotRanges(of: Self.id7001) == [SlotRange(5461, 10922)])
        #expect(topology.nodes.allSatisfy { $0.isConnectable })
    }

    @Test func sevenNodeFixtureWithSplitRangesAndHostname() throws {
        let topology = try ClusterTopology(parsingClusterNodes: Fixtures.text("cluster-nodes-split-ranges.txt"))
        #expect(topology.nodes.count == 7)
        #expect(topology.allSlotsCovered)
        #expect(topology.slotRanges(of: Self.id7000) == [SlotRange(0, 99), SlotRange(101, 1999), SlotRange(2101, 5460)])
        #expect(SlotRanges.format(topology.slotRanges(of: Self.id7000)) == "0-99,101-1999,2101-5460")
        #expect(topology.owner(ofSlot: 100)?.id == Self.id7001)
        #expect(topology.owner(ofSlot: 2000)?.id == Self.id7002)
        #expect(topology.owner(ofSlot: 2100)?.id == Self.id7002)
        #expect(topology.owner(ofSlot: 2101)?.id == Self.id7000)
        #expect(topology.node(Self.id7001)?.address?.hostname == "node-7001.example.test")
        #expect(topology.node(Self.id7006)?.slots.isEmpty == true)
        #expect(topology.node(Self.id7006)?.address?.busPort == 27006)
        #expect(topology.primaries.count == 4)
    }

    @Test func partialCoverage() throws {
        let text = """
            b897b6a6954bb471cb17532e870eaf0f95297f4e 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460
            be155b5f2d3968d99a2e135c24b8efaf6f2a14bb 127.0.0.1:7001@17001 master - 0 0 2 connected 5461-10922 [10923-<-b897b6a6954bb471cb17532e870eaf0f95297f4e]

            """
        let topology = try ClusterTopology(parsingClusterNodes: text)
        #expect(topology.assignedSlotCount == 10923)
        #expect(!topology.allSlotsCovered)
        #expect(topology.owner(ofSlot: 10923) == nil)  // importing is not owning
        #expect(topology.unassignedSlotRanges == [SlotRange(10923, 16383)])
    }

    @Test func crlfAndTrailingBlankLines() throws {
        let text = try Fixtures.text("cluster-nodes.txt")
            .split(separator: "\n").joined(separator: "\r\n") + "\r\n\r\n\n"
        let topology = try ClusterTopology(parsingClusterNodes: text)
        #expect(topology.nodes.count == 6)
        #expect(topology.allSlotsCovered)
    }

    @Test func blankLineInTheMiddleIsAnError() throws {
        let lines = try Fixtures.text("cluster-nodes.txt").split(separator: "\n")
        let text = lines[0] + "\n\n" + lines[1...].joined(separator: "\n")
        #expect(parseError(String(text)) == ClusterNodesParseError(line: 2, reason: "blank line"))
    }

    @Test func emptyReplyIsAnError() {
        #expect(parseError("")?.line == 1)
        #expect(parseError("\n\n")?.line == 1)
    }

    @Test func malformedLineIsReportedByNumber() throws {
        var lines = try Fixtures.text("cluster-nodes.txt").split(separator: "\n").map(String.init)
        lines[3] = "be155b5f2d3968d99a2e135c24b8efaf6f2a14bb 127.0.0.1:7001@17001 master - 0 1795385264000 2"
        let error = parseError(lines.joined(separator: "\n"))
        #expect(error?.line == 4)
        #expect(error?.description.hasPrefix("CLUSTER NODES line 4: missing link-state field") == true)
    }

    @Test func duplicateNodeIDIsAnError() {
        let text = [
            line("b897b6a6954bb471cb17532e870eaf0f95297f4e", slots: "0-10"),
            line("be155b5f2d3968d99a2e135c24b8efaf6f2a14bb"),
            line("b897b6a6954bb471cb17532e870eaf0f95297f4e"),
        ].joined(separator: "\n")
        let error = parseError(text)
        #expect(error?.line == 3)
        #expect(error?.reason == "duplicate node id b897b6a6954bb471cb17532e870eaf0f95297f4e (first seen on line 1)")
    }

    @Test func slotClaimedByTwoNodesIsAnError() {
        let text = [
            line("b897b6a6954bb471cb17532e870eaf0f95297f4e", slots: "0-5460"),
            line("be155b5f2d3968d99a2e135c24b8efaf6f2a14bb", slots: "5460-10922"),
        ].joined(separator: "\n")
        let error = parseError(text)
        #expect(error?.line == 2)
        #expect(error?.reason == "slot 5460 is also claimed by b897b6a6954bb471cb17532e870eaf0f95297f4e (line 1)")
    }

    @Test func slotListedTwiceOnOneLineIsAnError() {
        let error = parseError(line("b897b6a6954bb471cb17532e870eaf0f95297f4e", slots: "0-10 5"))
        #expect(error?.reason == "slot 5 listed twice")
    }

    @Test func buildFromNodes() throws {
        let a = ClusterNode(
            id: Self.id7000, address: NodeAddress(host: "127.0.0.1", port: 7000), flags: ["master"],
            slots: [SlotRange(0, 16383)])
        let b = ClusterNode(
            id: Self.id7001, address: NodeAddress(host: "127.0.0.1", port: 7001), flags: ["slave"], primaryID: Self.id7000)
        let topology = try ClusterTopology(nodes: [a, b])
        #expect(topology.allSlotsCovered)
        #expect(topology.owner(ofSlot: 9999) == a)
        #expect(topology.replicas(of: Self.id7000) == [b])
        #expect(topology.slotRanges(of: Self.id7001).isEmpty)
        #expect(topology.node(Self.id7002) == nil)
        try #expect(topology == ClusterTopology(nodes: [a, b]))
        #expect(throws: ClusterNodesParseError.self) { try ClusterTopology(nodes: [a, a]) }
    }
}
