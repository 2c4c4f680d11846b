import ClusterModel
import Foundation
import Testing
import ValkeyConnection
@testable import Collector

/// Snapshot assembly: slots counted once, last good values kept, CPU rates from two samples.
struct SnapshotBuilderTests {
    static let p1 = "b897b6a6954bb471cb17532e870eaf0f95297f4e"
    static let p2 = "be155b5f2d3968d99a2e135c24b8efaf6f2a14bb"
    static let r1 = "fc857912d0adb5ee0a7bdd9e3355af4256daa218"
    static let nodesText = """
        \(p1) 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-8191 [100->-\(p2)]
        \(p2) 127.0.0.1:7001@17001 master - 0 1 2 connected 8192-16383 [100-<-\(p1)]
        \(r1) 127.0.0.1:7002@17002 slave \(p1) 0 1 1 connected

        """

    static func info(cpu: Double, serverTimeMicros: Int64, keys: Int, runID: String = "r1") -> InfoReply {
        InfoReply(parsing: """
            # Server\r\nrun_id:\(runID)\r\nserver_time_usec:\(serverTimeMicros)\r\nuptime_in_seconds:100\r\n# CPU\r\nused_cpu_sys:\(cpu / 2)\r\nused_cpu_user:\(cpu / 2)\r\n# Keyspace\r\ndb0:keys=\(keys),expires=0,avg_ttl=0\r\n
            """)
    }

    func build(outcomes: [NodeOutcome], previous: ClusterSnapshot? = nil, mode: ClusterSnapshot.Mode = .cluster) throws -> ClusterSnapshot {
        let topology = try ClusterTopology(parsingClusterNodes: Self.nodesText)
        let discovery = DiscoveryResult(mode: mode, topology: mode == .cluster ? topology : nil,
                                        source: NodeAddress(host: "127.0.0.1", port: 7000), clusterInfo: InfoReply(parsing: "cluster_state:ok\r\n"),
                                        error: mode == .unreachable ? ValkeyError(.refused, "x") : nil)
        let builder = SnapshotBuilder(
            sequence: (previous?.sequence ?? 0) + 1, startedAt: Date(), duration: .milliseconds(5), discovery: discovery,
            topology: mode == .unreachable ? previous?.topology : topology,
            outcomes: Dictionary(uniqueKeysWithValues: outcomes.map { ($0.address, $0) }), previous: previous, slotStatsRequested: true)
        return builder.build()
    }

    static func online(_ port: Int, cpu: Double = 1, time: Int64 = 1_000_000, keys: Int = 10, slots: [SlotStat]? = nil) -> NodeOutcome {
        NodeOutcome(address: NodeAddress(host: "127.0.0.1", port: port), status: .online,
                    sample: NodeSample(collectedAt: Date(), info: info(cpu: cpu, serverTimeMicros: time, keys: keys)),
                    slotStats: slots, duration: .milliseconds(1))
    }

    @Test func slotsCountedOnceByTheOwner() throws {
        // p2 imports slot 100 and reports it too: only p1, the owner, counts.
        let s1 = [SlotStat(slot: 0, keyCount: 1, cpuUsec: 5, networkBytesIn: 1, networkBytesOut: 1),
                  SlotStat(slot: 100, keyCount: 2, cpuUsec: 5, networkBytesIn: 1, networkBytesOut: 1)]
        let s2 = [SlotStat(slot: 100, keyCount: 99, cpuUsec: 5, networkBytesIn: 1, networkBytesOut: 1),
                  SlotStat(slot: 9000, keyCount: 4, cpuUsec: 5, networkBytesIn: 1, networkBytesOut: 1)]
        let snapshot = try build(outcomes: [Self.online(7000, slots: s1), Self.online(7001, slots: s2), Self.online(7002)])
        #expect(snapshot.slotStats.stat(ofSlot: 100)?.keyCount == 2)
        #expect(snapshot.slotStats.owner(ofSlot: 100)?.rawValue == Self.p1)
        #expect(snapshot.slotStats.owner(ofSlot: 9000)?.rawValue == Self.p2)
        #expect(snapshot.slotStats.totalKeys == 7)
        #expect(snapshot.slotStats.availability == .full)
        #expect(snapshot.clusterState == "ok")
        #expect(snapshot.nodes.map(\.address?.port) == [7000, 7001, 7002])
    }

    @Test func keysAlreadyOnTheImportingNodeCountForTheSlot() throws {
        // Legacy migration of slot 100 from p1 to p2, half done: p1's SLOT-STATS has 2 keys left, p2 holds 3.
        let s1 = [SlotStat(slot: 100, keyCount: 2)]
        var importer = Self.online(7001, slots: [SlotStat(slot: 9000, keyCount: 4)])
        importer.importedKeys = [100: 3, 9000: 7]  // a count for its own slot must not be added twice
        let snapshot = try build(outcomes: [Self.online(7000, slots: s1), importer, Self.online(7002)])
        #expect(snapshot.slotStats.stat(ofSlot: 100)?.keyCount == 5)
        #expect(snapshot.slotStats.owner(ofSlot: 100)?.rawValue == Self.p1)
        #expect(snapshot.slotStats.stat(ofSlot: 9000)?.keyCount == 4)
        #expect(snapshot.slotStats.totalKeys == 9)
    }

    @Test func cpuPercentFromTwoSamples() throws {
        let first = try build(outcomes: [Self.online(7000, cpu: 1.0, time: 1_000_000)])
        let second = try build(outcomes: [Self.online(7000, cpu: 1.5, time: 3_000_000)], previous: first)
        // 0.5 s of CPU over 2 s of server time = 25 %
        #expect(second.node(NodeID(Self.p1)!)?.cpuPercent == 25)
        #expect(first.node(NodeID(Self.p1)!)?.cpuPercent == nil)
    }

    @Test func noRateAcrossARestart() {
        let old = NodeSample(collectedAt: Date(), info: Self.info(cpu: 5, serverTimeMicros: 1_000_000, keys: 1, runID: "a"))
        let new = NodeSample(collectedAt: Date(), info: Self.info(cpu: 0.1, serverTimeMicros: 2_000_000, keys: 1, runID: "b"))
        #expect(SnapshotBuilder.cpuPercent(from: old, to: new) == nil)
    }

    @Test func failedNodeKeepsLastGoodValues() throws {
        let first = try build(outcomes: [Self.online(7000, keys: 42), Self.online(7001), Self.online(7002)])
        let down = NodeOutcome(address: NodeAddress(host: "127.0.0.1", port: 7000), status: .offline,
                               error: ValkeyError(.refused, "connection refused"), duration: .milliseconds(1))
        let second = try build(outcomes: [down, Self.online(7001), Self.online(7002)], previous: first)
        let node = try #require(second.node(NodeID(Self.p1)!))
        #expect(node.status == .offline)
        #expect(node.error?.reason == .refused)
        #expect(node.sample?.info.totalKeys == 42)
        #expect(node.sample?.collectedAt == first.node(NodeID(Self.p1)!)?.sample?.collectedAt)
        #expect(second.clusterState == "degraded")
    }

    @Test func unreachableKeepsTopologyAndMarksEveryNodeOffline() throws {
        let first = try build(outcomes: [Self.online(7000), Self.online(7001), Self.online(7002)])
        let second = try build(outcomes: [], previous: first, mode: .unreachable)
        #expect(second.nodes.count == 3)
        #expect(second.nodes.allSatisfy { $0.status == .offline && $0.sample != nil })
        #expect(second.clusterState == "fail")
    }

    @Test func keysOnlyAvailability() throws {
        let snapshot = try build(outcomes: [Self.online(7000, slots: [SlotStat(slot: 1, keyCount: 3)])])
        #expect(snapshot.slotStats.availability == .keysOnly)
        #expect(snapshot.slotStats.reportedSlotCount == 1)
    }
}
