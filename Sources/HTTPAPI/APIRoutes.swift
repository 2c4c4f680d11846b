import ClusterModel
import Collector
import Foundation
import Hummingbird

/// Registers the JSON API on `router`. Every handler reads the latest snapshot; none talks to Valkey.
public func addAPIRoutes(to router: Router<some RequestContext>, context api: APIContext) {
    let nodesView = NodeMetricsView(hostProcessorCount: api.hostProcessorCount)

    router.get("/") { _, _ in
        APIResponse.success(.object([
            ("name", .string("valkey-cluster-exporter")),
            ("version", .string(api.version)),
            ("cluster", .object([
                ("nodes", .string("/api/cluster/nodes")),
                ("nodes_metrics", .string("/api/cluster/nodes/metrics")),
                ("slot_stats", .string("/api/cluster/slot-stats")),
            ])),
            ("nodes", .object([("metrics", .string("/api/nodes/{nodeId}/metrics"))])),
            ("health", .object([("live", .string("/healthz")), ("ready", .string("/readyz"))])),
            ("metrics", .string("/metrics")),
        ]))
    }

    router.get("/healthz") { _, _ in APIResponse.success(.object([("live", .bool(true))])) }

    router.get("/readyz") { _, _ in
        guard let snapshot = api.store.latest else { return notReady(api) }
        return APIResponse.success(.object([
            ("ready", .bool(true)),
            ("mode", .string(snapshot.mode.rawValue)),
            ("lastCollection", .string(Formatting.iso8601(snapshot.finishedAt))),
            ("cycle", .int(Int64(snapshot.sequence))),
            ("cycleDurationSeconds", .double(snapshot.duration.seconds)),
        ]))
    }

    router.get("/api/cluster/nodes") { _, _ in
        guard let snapshot = api.store.latest else { return notReady(api) }
        guard let topology = snapshot.topology else { return withoutTopology(snapshot, api: api) }
        let nodes = topology.nodes.filter { !$0.isHandshake }.map { ClusterNodesView.node($0, in: topology) }
        return APIResponse.success(.object(clusterMembers(snapshot) + [
            ("nodes", .array(nodes)),
            ("timestamp", .string(Formatting.iso8601(snapshot.finishedAt))),
        ]))
    }

    router.get("/api/cluster/nodes/metrics") { _, _ in
        guard let snapshot = api.store.latest else { return notReady(api) }
        if snapshot.topology == nil { return withoutTopology(snapshot, api: api) }
        return APIResponse.success(.object(clusterMembers(snapshot) + [
            ("nodes", .array(snapshot.nodes.map(nodesView.node))),
            ("clusterInfo", nodesView.clusterInfo(snapshot)),
            ("timestamp", .string(Formatting.iso8601(snapshot.finishedAt))),
        ]))
    }

    router.get("/api/nodes/:nodeId/metrics") { _, context in
        guard let snapshot = api.store.latest else { return notReady(api) }
        let raw = context.parameters.get("nodeId") ?? ""
        guard let id = NodeID(raw), let node = snapshot.node(id) else {
            let shown = raw.count <= 64 ? raw : String(raw.prefix(64)) + "..."
            let message = snapshot.mode == .standalone
                ? "cluster mode is disabled on this server: there are no cluster node ids"
                : "node \(shown) not found in the cluster"
            return APIResponse.error(.notFound, code: "node_not_found", message: message)
        }
        return APIResponse.success(nodesView.node(node))
    }

    router.get("/api/cluster/slot-stats") { request, _ in
        let query = request.uri.queryParameters
        let validation = SlotRangeQuery.validate(
            startValues: query.getAll("start_slot").map { String($0) },
            endValues: query.getAll("end_slot").map { String($0) })
        let range: SlotRangeQuery
        switch validation {
        case .success(let valid): range = valid
        case .failure(let error):
            return APIResponse.error(.badRequest, code: "invalid_slot_range", message: error.message)
        }
        guard let snapshot = api.store.latest else { return notReady(api) }
        if snapshot.mode == .unreachable && snapshot.topology == nil { return withoutTopology(snapshot, api: api) }
        let (entry, cached) = api.slotStatsCache.value(start: range.start, end: range.end) {
            SlotStatsAnswerBox(answer: SlotStatsView.answer(snapshot, range: range))
        }
        return APIResponse.success(SlotStatsView.data(
            entry.value.answer, cachedAt: cached ? entry.createdAt : nil, encodedSlots: entry.value.slotsJSON,
            slotCount: entry.value.slotCount))
    }
}

/// 503 with `Retry-After` until the first collection cycle has finished.
func notReady(_ api: APIContext) -> Response {
    APIResponse.error(
        .serviceUnavailable, code: "not_ready",
        message: "the first collection cycle has not finished yet",
        headers: [.retryAfter: String(api.retryAfterSeconds)])
}

/// Standalone servers answer with empty lists and a message; an unreachable cluster with 503.
func withoutTopology(_ snapshot: ClusterSnapshot, api: APIContext) -> Response {
    if snapshot.mode == .standalone {
        return APIResponse.success(.object([
            ("nodes", .array([])),
            ("clusterInfo", .null),
            ("message", .string("cluster mode is disabled on this server (cluster_enabled:0): no cluster nodes")),
            ("timestamp", .string(Formatting.iso8601(snapshot.finishedAt))),
        ]))
    }
    let reason = snapshot.discoveryError.map { " (\($0.reason.rawValue): \($0.message))" } ?? ""
    return APIResponse.error(
        .serviceUnavailable, code: "cluster_unreachable",
        message: "no seed or known node answered CLUSTER NODES\(reason)",
        headers: [.retryAfter: String(api.retryAfterSeconds)])
}

/// Fields that say the data is older than this request: set when discovery failed this cycle.
private func clusterMembers(_ snapshot: ClusterSnapshot) -> [(String, JSONValue)] {
    guard snapshot.mode == .unreachable else { return [] }
    return [("message", .string("the cluster did not answer this cycle: showing the last known topology, every node offline"))]
}
