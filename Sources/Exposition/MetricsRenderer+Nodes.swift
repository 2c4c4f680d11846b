import ClusterModel
import Collector

/// Per-node families from INFO. Only nodes that answered this cycle get values: a stale value
/// presented as current would be worse than a gap. `valkey_up` says which nodes those are.
extension MetricsRenderer {
    /// An INFO field exported as a gauge or counter.
    struct InfoField {
        let family: MetricFamily
        let field: String
        /// Multiplier for fields not in base units.
        var scale: Double = 1
    }

    static let infoFields: [InfoField] = [
        InfoField(family: .gauge("valkey_memory_used_bytes", "Memory allocated by the server (used_memory)."), field: "used_memory"),
        InfoField(family: .gauge("valkey_memory_max_bytes", "Configured maxmemory; 0 means no limit."), field: "maxmemory"),
        InfoField(family: .gauge("valkey_memory_used_rss_bytes", "Resident set size of the server process (used_memory_rss)."), field: "used_memory_rss"),
        InfoField(family: .gauge("valkey_total_system_memory_bytes", "Memory of the host the node runs on (total_system_memory)."), field: "total_system_memory"),
        InfoField(family: .gauge("valkey_connected_clients", "Client connections, replicas excluded (connected_clients)."), field: "connected_clients"),
        InfoField(family: .gauge("valkey_blocked_clients", "Clients blocked on a blocking command (blocked_clients)."), field: "blocked_clients"),
        InfoField(family: .counter("valkey_commands_processed", "Commands processed by the server (total_commands_processed)."), field: "total_commands_processed"),
        InfoField(family: .gauge("valkey_instantaneous_ops_per_second", "Commands per second as sampled by the server (instantaneous_ops_per_sec)."), field: "instantaneous_ops_per_sec"),
        InfoField(family: .counter("valkey_cpu_sys_seconds", "System CPU time of the server (used_cpu_sys)."), field: "used_cpu_sys"),
        InfoField(family: .counter("valkey_cpu_user_seconds", "User CPU time of the server (used_cpu_user)."), field: "used_cpu_user"),
        InfoField(family: .counter("valkey_net_input_bytes", "Bytes read from the network (total_net_input_bytes)."), field: "total_net_input_bytes"),
        InfoField(family: .counter("valkey_net_output_bytes", "Bytes written to the network (total_net_output_bytes)."), field: "total_net_output_bytes"),
        InfoField(family: .counter("valkey_keyspace_hits", "Successful key lookups (keyspace_hits)."), field: "keyspace_hits"),
        InfoField(family: .counter("valkey_keyspace_misses", "Failed key lookups (keyspace_misses)."), field: "keyspace_misses"),
        InfoField(family: .counter("valkey_expired_keys", "Keys removed because they expired (expired_keys)."), field: "expired_keys"),
        InfoField(family: .counter("valkey_evicted_keys", "Keys evicted by the maxmemory policy (evicted_keys)."), field: "evicted_keys"),
        InfoField(family: .gauge("valkey_uptime_in_seconds", "Seconds since the server started (uptime_in_seconds)."), field: "uptime_in_seconds"),
        InfoField(family: .gauge("valkey_connected_replicas", "Replicas connected to this node (connected_slaves)."), field: "connected_slaves"),
        InfoField(family: .gauge("valkey_master_repl_offset", "Replication offset of this node's stream (master_repl_offset)."), field: "master_repl_offset"),
    ]

    func writeNodeFamilies(_ snapshot: ClusterSnapshot, nodes: [NodeLabels], into writer: inout MetricWriter) {
        writer.begin(.gauge("valkey_up", "1 when the node answered the last collection cycle, 0 when it did not."))
        for node in nodes { writer.sample(labels: node.labels, Int64(node.node.status == .online ? 1 : 0)) }

        writer.begin(.info("valkey_node", "Identity of a node: role (primary/replica), its primary, shard and server version; always 1."))
        for node in nodes {
            let state = node.node
            let role = switch state.role { case .primary: "primary"; case .replica: "replica"; case .unknown: "unknown" }
            let version = state.sample?.info["valkey_version"] ?? state.sample?.info["redis_version"] ?? ""
            let extra = MetricWriter.labels([
                ("role", role), ("primary_id", state.clusterNode?.primaryID?.rawValue ?? ""),
                ("shard_id", state.shardID ?? ""), ("version", version),
            ])
            writer.sample(labels: node.labels, extra: extra, Int64(1))
        }

        let online = nodes.filter { $0.node.status == .online && $0.node.sample != nil }
        for field in Self.infoFields {
            let values = online.compactMap { node in node.node.sample!.info.double(field.field).map { (node, $0) } }
            guard !values.isEmpty else { continue }
            writer.begin(field.family)
            for (node, value) in values { writer.sample(labels: node.labels, value * field.scale) }
        }

        let replicas = online.filter { $0.node.sample!.info["master_link_status"] != nil }
        if !replicas.isEmpty {
            writer.begin(.gauge("valkey_replication_link_up", "On replicas: 1 when the link to the primary is up (master_link_status)."))
            for node in replicas { writer.sample(labels: node.labels, Int64(node.node.sample!.info["master_link_status"] == "up" ? 1 : 0)) }
        }

        writeKeyspace(online, into: &writer)
    }

    private func writeKeyspace(_ nodes: [NodeLabels], into writer: inout MetricWriter) {
        let keyspaces = nodes.map { ($0, $0.node.sample!.info.keyspace) }
        guard keyspaces.contains(where: { !$0.1.isEmpty }) else { return }
        writer.begin(.gauge("valkey_db_keys", "Keys per database (INFO keyspace)."))
        for (node, entries) in keyspaces {
            for entry in entries { writer.sample(labels: node.labels, extra: "db=\"\(entry.db)\"", entry.keys) }
        }
        writer.begin(.gauge("valkey_db_keys_expiring", "Keys with an expiry per database (INFO keyspace)."))
        for (node, entries) in keyspaces {
            for entry in entries { writer.sample(labels: node.labels, extra: "db=\"\(entry.db)\"", entry.expires) }
        }
    }
}
