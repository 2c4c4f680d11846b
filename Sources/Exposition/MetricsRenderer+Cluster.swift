import ClusterModel
import Collector

/// Cluster-wide families, from `CLUSTER INFO` and the topology of the node discovery used.
extension MetricsRenderer {
    func writeClusterFamilies(_ snapshot: ClusterSnapshot, into writer: inout MetricWriter) {
        guard snapshot.mode == .cluster, let info = snapshot.clusterInfo, let topology = snapshot.topology else { return }
        writer.begin(.gauge("valkey_cluster_state", "1 when CLUSTER INFO reports cluster_state:ok, else 0."))
        writer.sample(Int64(info["cluster_state"] == "ok" ? 1 : 0))
        let counts: [(String, String, String)] = [
            ("valkey_cluster_slots_assigned", "cluster_slots_assigned", "Slots assigned to a node (cluster_slots_assigned)."),
            ("valkey_cluster_slots_ok", "cluster_slots_ok", "Slots whose node is not failing (cluster_slots_ok)."),
            ("valkey_cluster_slots_pfail", "cluster_slots_pfail", "Slots whose node is possibly failing (cluster_slots_pfail)."),
            ("valkey_cluster_slots_fail", "cluster_slots_fail", "Slots whose node has failed (cluster_slots_fail)."),
            ("valkey_cluster_known_nodes", "cluster_known_nodes", "Nodes the cluster knows, handshakes included (cluster_known_nodes)."),
            ("valkey_cluster_size", "cluster_size", "Primaries serving at least one slot (cluster_size)."),
        ]
        for (name, field, help) in counts {
            guard let value = info.int(field) else { continue }
            writer.begin(.gauge(name, help))
            writer.sample(value)
        }

        let members = topology.nodes.filter { !$0.isHandshake }
        writer.begin(.gauge("valkey_cluster_nodes", "Nodes in CLUSTER NODES by role (handshakes excluded)."))
        for role in [NodeRole.primary, .replica] {
            let label = role == .primary ? "primary" : "replica"
            writer.sample(extra: "role=\"\(label)\"", Int64(members.filter { $0.role == role }.count))
        }
        writer.begin(.gauge("valkey_cluster_links", "Nodes in CLUSTER NODES by cluster-bus link state."))
        for state in [LinkState.connected, .disconnected] {
            writer.sample(extra: "state=\"\(state.rawValue)\"", Int64(members.filter { $0.linkState == state }.count))
        }
        let migrations = members.flatMap(\.migrations)
        writer.begin(.gauge("valkey_cluster_slots_migrating", "Slots being migrated out, as listed by the node the topology came from."))
        writer.sample(Int64(migrations.filter { $0.direction == .migrating }.count))
        writer.begin(.gauge("valkey_cluster_slots_importing", "Slots being imported, as listed by the node the topology came from."))
        writer.sample(Int64(migrations.filter { $0.direction == .importing }.count))
        writer.begin(.gauge("valkey_cluster_slots_covered", "1 when every one of the 16384 slots is assigned to a node."))
        writer.sample(Int64(topology.allSlotsCovered ? 1 : 0))
    }
}
