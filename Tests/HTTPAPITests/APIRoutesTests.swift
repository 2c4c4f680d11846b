import ClusterModel
import Collector
import Foundation
import Exposition
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import Testing
import ValkeyConnection

/// Routes over a store holding hand-built snapshots (a fake store: the routes only read snapshots).
struct APIRoutesTests {
    static let p1 = "b897b6a6954bb471cb17532e870eaf0f95297f4e"
    static let r1 = "fc857912d0adb5ee0a7bdd9e3355af4256daa218"

    static func clusterSnapshot() throws -> ClusterSnapshot {
        let topology = try ClusterTopology(parsingClusterNodes: """
            \(p1) 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-16383
            \(r1) 10.1.2.3:7001@17001,replica-host slave \(p1) 0 1 1 connected

            """)
        let info = InfoReply(parsing: "used_memory:2252341248\r\nmaxmemory:8589934592\r\nconnected_clients:1247\r\ninstantaneous_ops_per_sec:2341\r\nuptime_in_seconds:309600\r\ndb0:keys=1250789,expires=0,avg_ttl=0\r\n")
        let sample = NodeSample(collectedAt: Date(timeIntervalSince1970: 1_736_375_520), info: info)
        let primary = NodeState(id: NodeID(p1), address: topology.nodes[0].address, clusterNode: topology.nodes[0],
                                status: .online, sample: sample, cpuPercent: 45.2)
        let replica = NodeState(id: NodeID(r1), address: topology.nodes[1].address, clusterNode: topology.nodes[1],
                                status: .offline, error: ValkeyError(.timeout, "no reply within 5s"))
        var slots = SlotStatsTable(availability: .full)
        for slot in 0..<16384 {
            slots.record(SlotStat(slot: slot, keyCount: Int64(slot % 3), cpuUsec: 1, networkBytesIn: 2, networkBytesOut: 3), owner: NodeID(p1)!)
        }
        return ClusterSnapshot(
            sequence: 1, startedAt: Date(), finishedAt: Date(), duration: .milliseconds(3), mode: .cluster,
            topology: topology, topologySource: topology.nodes[0].address, clusterInfo: InfoReply(parsing: "cluster_state:ok\r\n"),
            discoveryError: nil, nodes: [primary, replica], slotStats: slots)
    }

    func withApp(_ snapshot: ClusterSnapshot?, _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let store = SnapshotStore()
        if let snapshot { store.publish(snapshot) }
        let app = Application(router: buildRouter(api: APIContext(store: store, retryAfterSeconds: 7, version: "test", hostProcessorCount: 4)))
        try await app.test(.router, body)
    }

    func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    @Test func notReadyIs503WithRetryAfter() async throws {
        try await withApp(nil) { client in
            for path in ["/api/cluster/nodes", "/api/cluster/nodes/metrics", "/api/cluster/slot-stats", "/api/nodes/\(Self.p1)/metrics"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                    #expect(response.headers[.retryAfter] == "7")
                    let body = try json(response)
                    #expect(body["status"] as? String == "error")
                    #expect((body["error"] as? [String: Any])?["code"] as? String == "not_ready")
                }
            }
        }
    }

    @Test func nodeMetricsShapeMatchesTheSeed() async throws {
        try await withApp(try Self.clusterSnapshot()) { client in
            try await client.execute(uri: "/api/nodes/\(Self.p1)/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                let text = String(buffer: response.body)
                #expect(text.contains(#""memory":{"used":"2.1GB","max":"8GB","usedBytes":2252341248,"maxBytes":8589934592,"percent":26.2,"maxSource":"maxmemory"}"#))
                #expect(text.contains(#""cpu":{"percent":45.2,"cores":4}"#))
                #expect(text.contains(#""connections":1247,"opsPerSec":2341,"uptime":"3d 14h","keyCount":1250789,"slots":"0-16383""#))
                #expect(text.hasPrefix(#"{"status":"success","data":{"nodeId":"\#(Self.p1)","nodeAddress":"127.0.0.1:7000","role":"master","status":"online""#))
            }
            try await client.execute(uri: "/api/nodes/\(Self.r1)/metrics", method: .get) { response in
                let data = try #require(try json(response)["data"] as? [String: Any])
                #expect(data["status"] as? String == "offline")
                #expect(data["memory"] is NSNull && data["cpu"] is NSNull)
                #expect((data["error"] as? [String: Any])?["reason"] as? String == "timeout")
            }
        }
    }

    @Test func clusterViews() async throws {
        try await withApp(try Self.clusterSnapshot()) { client in
            try await client.execute(uri: "/api/cluster/nodes", method: .get) { response in
                let nodes = try #require((try json(response)["data"] as? [String: Any])?["nodes"] as? [[String: Any]])
                #expect(nodes.count == 2)
                #expect(nodes[0]["replicas"] as? [String] == [Self.r1])
                #expect(nodes[1]["masterNodeId"] as? String == Self.p1)
                #expect(nodes[1]["status"] as? String == "connected")
                #expect(nodes[1]["hostname"] as? String == "replica-host")
            }
            try await client.execute(uri: "/api/cluster/nodes/metrics", method: .get) { response in
                let data = try #require(try json(response)["data"] as? [String: Any])
                let info = try #require(data["clusterInfo"] as? [String: Any])
                #expect(info["totalNodes"] as? Int == 2 && info["mastersCount"] as? Int == 1 && info["slavesCount"] as? Int == 1)
                #expect(info["clusterState"] as? String == "degraded")
                let nodes = try #require(data["nodes"] as? [[String: Any]])
                // a remote node's cores are unknown
                #expect(nodes[1]["cpu"] is NSNull)
            }
        }
    }

    @Test func unknownNodeIs404() async throws {
        try await withApp(try Self.clusterSnapshot()) { client in
            for id in [String(repeating: "a", count: 40), "x", "..%2f..%2fetc"] {
                try await client.execute(uri: "/api/nodes/\(id)/metrics", method: .get) { response in
                    #expect(response.status == .notFound)
                    let body = try json(response)
                    #expect((body["error"] as? [String: Any])?["code"] as? String == "node_not_found")
                }
            }
        }
    }

    @Test func slotStatsRangeAndCache() async throws {
        try await withApp(try Self.clusterSnapshot()) { client in
            try await client.execute(uri: "/api/cluster/slot-stats?start_slot=5&end_slot=6", method: .get) { response in
                #expect(String(buffer: response.body).contains(
                    #"{"slots":[{"slot_id":5,"key_count":2,"cpu_usec":1,"network_bytes_in":2,"network_bytes_out":3,"node_id":"\#(Self.p1)"},{"slot_id":6,"key_count":0,"cpu_usec":1,"network_bytes_in":2,"network_bytes_out":3,"node_id":"\#(Self.p1)"}],"total_slots":2,"start_slot":5,"end_slot":6,"cached":false,"cache_timestamp":null}"#))
            }
            try await client.execute(uri: "/api/cluster/slot-stats?start_slot=5&end_slot=6", method: .get) { response in
                let data = try #require(try json(response)["data"] as? [String: Any])
                #expect(data["cached"] as? Bool == true)
                #expect(data["cache_timestamp"] is String)
            }
            try await client.execute(uri: "/api/cluster/slot-stats", method: .get) { response in
                let data = try #require(try json(response)["data"] as? [String: Any])
                #expect(data["total_slots"] as? Int == 16384)
            }
        }
    }

    @Test(arguments: ["start_slot=x", "start_slot=1&start_slot=1", "end_slot=16384", "start_slot=9&end_slot=8", "start_slot=-0"])
    func badRangeIs400(_ query: String) async throws {
        try await withApp(try Self.clusterSnapshot()) { client in
            try await client.execute(uri: "/api/cluster/slot-stats?\(query)", method: .get) { response in
                #expect(response.status == .badRequest)
                let body = try json(response)
                #expect((body["error"] as? [String: Any])?["code"] as? String == "invalid_slot_range")
            }
        }
    }

    @Test func standaloneAnswersWithEmptyLists() async throws {
        let snapshot = ClusterSnapshot(
            sequence: 1, startedAt: Date(), finishedAt: Date(), duration: .zero, mode: .standalone, topology: nil,
            topologySource: NodeAddress(host: "127.0.0.1", port: 6379), clusterInfo: nil, discoveryError: nil,
            nodes: [], slotStats: SlotStatsTable(availability: .notCluster))
        try await withApp(snapshot) { client in
            try await client.execute(uri: "/api/cluster/nodes", method: .get) { response in
                let data = try #require(try json(response)["data"] as? [String: Any])
                #expect((data["nodes"] as? [Any])?.isEmpty == true)
                #expect((data["message"] as? String)?.contains("cluster mode is disabled") == true)
            }
            try await client.execute(uri: "/api/cluster/slot-stats", method: .get) { response in
                #expect(String(buffer: response.body).contains(#""slots":[],"total_slots":0,"start_slot":null,"end_slot":null,"cached":false,"cache_timestamp":null,"note":"#))
            }
        }
    }

    @Test func slotStatsUnsupportedByTheServer() async throws {
        var snapshot = try Self.clusterSnapshot()
        snapshot.slotStats = SlotStatsTable(availability: .unsupported)
        try await withApp(snapshot) { client in
            try await client.execute(uri: "/api/cluster/slot-stats", method: .get) { response in
                let data = try #require(try json(response)["data"] as? [String: Any])
                #expect((data["slots"] as? [Any])?.isEmpty == true)
                #expect(data["note"] as? String == "CLUSTER SLOT-STATS command not supported by this Redis/Valkey version")
            }
        }
    }

    @Test func unknownPathAndWrongMethodAreJSON() async throws {
        try await withApp(try Self.clusterSnapshot()) { client in
            try await client.execute(uri: "/nope", method: .get) { response in
                #expect(response.status == .notFound)
                let body = try json(response)
                #expect(body["status"] as? String == "error")
            }
            try await client.execute(uri: "/api/cluster/nodes", method: .delete) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET")
            }
            try await client.execute(uri: "/", method: .get) { response in
                let data = try #require(try json(response)["data"] as? [String: Any])
                #expect((data["cluster"] as? [String: Any])?["slot_stats"] as? String == "/api/cluster/slot-stats")
            }
        }
    }
}

/// `/metrics` content negotiation over pre-rendered bytes.
struct MetricsRouteTests {
    func withApp(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let store = SnapshotStore()
        let exposition = ExpositionStore(renderer: MetricsRenderer(version: "test"))
        let snapshot = try APIRoutesTests.clusterSnapshot()
        store.publish(snapshot)
        exposition.update(snapshot)
        let app = Application(router: buildRouter(api: APIContext(store: store, version: "test"), exposition: exposition))
        try await app.test(.router, body)
    }

    @Test func prometheusTextByDefault() async throws {
        try await withApp { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
                #expect(response.headers[.contentEncoding] == nil)
                let text = String(buffer: response.body)
                #expect(text.contains("# TYPE valkey_commands_processed_total counter\n") || text.contains("# TYPE valkey_up gauge\n"))
                #expect(!text.contains("# EOF"))
            }
        }
    }

    @Test func openMetricsWhenAsked() async throws {
        try await withApp { client in
            try await client.execute(uri: "/metrics", method: .get, headers: [.accept: "application/openmetrics-text;version=1.0.0"]) { response in
                #expect(response.headers[.contentType] == "application/openmetrics-text; version=1.0.0; charset=utf-8")
                #expect(String(buffer: response.body).hasSuffix("# EOF\n"))
            }
        }
    }

    @Test func gzipWhenAllowed() async throws {
        try await withApp { client in
            try await client.execute(uri: "/metrics", method: .get, headers: [.acceptEncoding: "gzip"]) { response in
                #expect(response.headers[.contentEncoding] == "gzip")
                let bytes = Array(response.body.readableBytesView.prefix(2))
                #expect(bytes == [0x1f, 0x8b])
            }
        }
    }

    @Test func notReadyBeforeFirstCycle() async throws {
        let exposition = ExpositionStore(renderer: MetricsRenderer(version: "test"))
        let app = Application(router: buildRouter(api: APIContext(store: SnapshotStore(), version: "test"), exposition: exposition))
        try await app.test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] != nil)
            }
        }
    }
}
