import ClusterModel
import Collector
import Foundation

/// Builds the node objects of `/api/cluster/nodes/metrics` and `/api/nodes/{nodeId}/metrics` from a snapshot.
struct NodeMetricsView {
    /// Processor count of the exporter host: the true core count only for nodes on this host.
    var hostProcessorCount: Int

    func node(_ node: NodeState) -> JSONValue {
        let info = node.sample?.info
        var members: [(String, JSONValue)] = [
            ("nodeId", .string(node.id?.rawValue)),
            ("nodeAddress", .string(node.address?.description)),
            ("role", .string(node.role.rawValue)),
            ("status", .string(node.status.rawValue)),
            ("memory", info.map(memory) ?? .null),
            ("cpu", info == nil ? .null : .object([
                ("percent", .double(node.cpuPercent)),
                ("cores", node.address?.isLoopback == true ? .int(hostProcessorCount) : .null),
            ])),
            ("connections", .int(info?.int("connected_clients"))),
            ("opsPerSec", .int(info?.int("instantaneous_ops_per_sec"))),
            ("uptime", .string(info?.int("uptime_in_seconds").map(Formatting.uptime(seconds:)))),
            ("keyCount", .int(info?.totalKeys)),
            ("slots", .string(SlotRanges.format(node.clusterNode?.slots ?? []))),
        ]
        members.append(("collectedAt", .string(node.sample.map { Formatting.iso8601($0.collectedAt) })))
        members.append(("error", node.error.map { .object([("reason", .string($0.reason.rawValue)), ("message", .string($0.message))]) } ?? .null))
        return .object(members)
    }

    /// `used`/`max` formatted like the seeds, exact bytes, percent of the limit, and which limit that is:
    /// `maxmemory`, or the host's `total_system_memory` when maxmemory is 0 (no limit set).
    func memory(_ info: InfoReply) -> JSONValue {
        let used = info.int("used_memory")
        var maxBytes = info.int("maxmemory")
        var source = "maxmemory"
        if maxBytes == nil || maxBytes == 0 {
            maxBytes = info.int("total_system_memory").flatMap { $0 > 0 ? $0 : nil }
            source = "total_system_memory"
        }
        var percent: Double?
        if let used, let maxBytes, maxBytes > 0 {
            percent = (Double(used) / Double(maxBytes) * 1000).rounded() / 10
        }
        return .object([
            ("used", .string(used.map(Formatting.bytes))),
            ("max", .string(maxBytes.map(Formatting.bytes))),
            ("usedBytes", .int(used)),
            ("maxBytes", .int(maxBytes)),
            ("percent", .double(percent)),
            ("maxSource", maxBytes == nil ? .null : .string(source)),
        ])
    }

    func clusterInfo(_ snapshot: ClusterSnapshot) -> JSONValue {
        let nodes = snapshot.nodes
        return .object([
            ("totalNodes", .int(nodes.count)),
            ("mastersCount", .int(nodes.filter { $0.role == .primary }.count)),
            ("slavesCount", .int(nodes.filter { $0.role == .replica }.count)),
            ("clusterState", .string(snapshot.clusterState)),
            ("onlineNodes", .int(nodes.filter { $0.status == .online }.count)),
            ("slotsCovered", .int(snapshot.topology?.assignedSlotCount ?? 0)),
        ])
    }
}
