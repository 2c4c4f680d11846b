import ClusterModel
import Collector
import Foundation
import Testing
import ValkeyConnection
@testable import Exposition

/// The rendered text of a fixed snapshot, byte for byte, in both formats.
///
/// The snapshot holds awkward label values (a version with a quote, a backslash and a newline, an IPv6
/// address), a failing node, keys-only and full slot stats. To accept an intended change, run the tests
/// with `UPDATE_GOLDEN=1` and review the diff of `Tests/ExpositionTests/Golden/`.
struct GoldenTests {
    static let p1 = "b897b6a6954bb471cb17532e870eaf0f95297f4e"
    static let r1 = "fc857912d0adb5ee0a7bdd9e3355af4256daa218"
    static let p2 = "be155b5f2d3968d99a2e135c24b8efaf6f2a14bb"

    static func snapshot() throws -> ClusterSnapshot {
        let topology = try ClusterTopology(parsingClusterNodes: """
            \(p1) ::1:7000@17000 myself,master - 0 0 1 connected 0-8191 [5->-\(p2)]
            \(r1) ::1:7001@17001 slave \(p1) 0 1 1 connected
            \(p2) 127.0.0.1:7002@17002 master - 0 1 2 disconnected 8192-16383

            """)
        let info = InfoReply(parsing: """
            # Server\r\nvalkey_version:9.1.2"evil\\\r\nuptime_in_seconds:3600\r\n# Clients\r\nconnected_clients:3\r\nblocked_clients:0\r\n\
            # Memory\r\nused_memory:1048576\r\nmaxmemory:0\r\nused_memory_rss:2097152\r\ntotal_system_memory:8589934592\r\n\
            # Stats\r\ntotal_commands_processed:12345\r\ninstantaneous_ops_per_sec:7\r\ntotal_net_input_bytes:100\r\ntotal_net_output_bytes:200\r\n\
            keyspace_hits:5\r\nkeyspace_misses:1\r\nexpired_keys:0\r\nevicted_keys:0\r\n# Replication\r\nrole:master\r\nconnected_slaves:1\r\nmaster_repl_offset:999\r\n\
            # CPU\r\nused_cpu_sys:1.25\r\nused_cpu_user:0.5\r\n# Keyspace\r\ndb0:keys=3,expires=1,avg_ttl=0\r\ndb2:keys=4,expires=0,avg_ttl=0\r\n
            """)
        let replicaInfo = InfoReply(parsing: "# Server\r\nvalkey_version:9.1.2\r\n# Replication\r\nrole:slave\r\nmaster_link_status:up\r\nconnected_slaves:0\r\n# Keyspace\r\ndb0:keys=3,expires=1,avg_ttl=0\r\n")
        let at = Date(timeIntervalSince1970: 1_795_385_000)
        var primary = NodeState(id: NodeID(p1), address: topology.nodes[0].address, clusterNode: topology.nodes[0],
                                status: .online, sample: NodeSample(collectedAt: at, info: info), cpuPercent: 1.5,
                                collectionDuration: .milliseconds(4))
        primary.shardID = "0123456789abcdef0123456789abcdef01234567"
        primary.collectionsTotal = 10
        var replica = NodeState(id: NodeID(r1), address: topology.nodes[1].address, clusterNode: topology.nodes[1],
                                status: .online, sample: NodeSample(collectedAt: at, info: replicaInfo), collectionDuration: .milliseconds(2))
        replica.collectionsTotal = 10
        var down = NodeState(id: NodeID(p2), address: topology.nodes[2].address, clusterNode: topology.nodes[2],
                             status: .offline, error: ValkeyError(.refused, "connection refused"), collectionDuration: .milliseconds(1))
        down.collectionsTotal = 10
        down.errorsTotal = ["refused": 2, "timeout": 1]
        var slots = SlotStatsTable(availability: .full)
        slots.record(SlotStat(slot: 0, keyCount: 2, cpuUsec: 1_500_000, networkBytesIn: 10, networkBytesOut: 20), owner: NodeID(p1)!)
        slots.record(SlotStat(slot: 5, keyCount: 1, cpuUsec: 250, networkBytesIn: 0, networkBytesOut: 0), owner: NodeID(p1)!)
        slots.record(SlotStat(slot: 9000, keyCount: 7, cpuUsec: 3, networkBytesIn: 4, networkBytesOut: 5), owner: NodeID(p2)!)
        var snapshot = ClusterSnapshot(
            sequence: 42, startedAt: at, finishedAt: at.addingTimeInterval(0.016), duration: .milliseconds(16), mode: .cluster,
            topology: topology, topologySource: topology.nodes[0].address,
            clusterInfo: InfoReply(parsing: "cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_slots_ok:8192\r\ncluster_slots_pfail:8192\r\ncluster_slots_fail:0\r\ncluster_known_nodes:3\r\ncluster_size:2\r\n"),
            discoveryError: nil, nodes: [primary, down, replica], slotStats: slots)
        snapshot.discoveryErrorsTotal = ["timeout": 1]
        return snapshot
    }

    func check(_ format: ExpositionFormat, file: String, selection: SlotMetricsSelection = .all) throws {
        let renderer = MetricsRenderer(slotMetrics: selection, version: "test")
        let text = String(buffer: renderer.render(try Self.snapshot(), format: format).bytes)
        let url = try #require(Bundle.module.url(forResource: "Golden", withExtension: nil)).appendingPathComponent(file)
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/\(file)")
            try text.write(to: source, atomically: true, encoding: .utf8)
        }
        let golden = try String(contentsOf: url, encoding: .utf8)
        #expect(text == golden, "rendered text differs from Golden/\(file); run with UPDATE_GOLDEN=1 and review the diff")
    }

    @Test func prometheusText() throws { try check(.prometheus, file: "snapshot.prom") }
    @Test func openMetrics() throws { try check(.openMetrics, file: "snapshot.om") }
    @Test func topSlotsOnly() throws { try check(.prometheus, file: "snapshot-top1.prom", selection: .top(count: 1, measure: .keys)) }

    @Test func noSlotFamiliesWithNone() throws {
        let text = String(buffer: MetricsRenderer(slotMetrics: .none, version: "t").render(try Self.snapshot(), format: .prometheus).bytes)
        #expect(!text.contains("valkey_slot_"))
        #expect(text.contains("valkey_up{"))
    }

    @Test func unsupportedSlotStatsAreStatedNotJustMissing() throws {
        var snapshot = try Self.snapshot()
        snapshot.slotStats = SlotStatsTable(availability: .unsupported)
        let text = String(buffer: MetricsRenderer(slotMetrics: .all, version: "t").render(snapshot, format: .prometheus).bytes)
        #expect(!text.contains("valkey_slot_keys"))
        #expect(text.contains("valkey_exporter_slot_stats_availability{state=\"unsupported\"} 1\n"))
        #expect(text.contains("valkey_exporter_slot_stats_availability{state=\"full\"} 0\n"))
    }

    @Test func keysOnlyHasNoResourceSeries() throws {
        var snapshot = try Self.snapshot()
        var table = SlotStatsTable(availability: .keysOnly)
        table.record(SlotStat(slot: 1, keyCount: 3), owner: NodeID(Self.p1)!)
        snapshot.slotStats = table
        let text = String(buffer: MetricsRenderer(version: "t").render(snapshot, format: .prometheus).bytes)
        #expect(text.contains("valkey_slot_keys{slot=\"1\",node_id=\"\(Self.p1)\"} 3\n"))
        #expect(!text.contains("valkey_slot_cpu_seconds_total"))
        #expect(!text.contains("valkey_slot_network"))
    }
}
