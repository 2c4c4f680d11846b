import Collector
import Foundation

/// The exporter's own families: build, cycles, per-node collection health and data age.
extension MetricsRenderer {
    func writeExporterFamilies(_ snapshot: ClusterSnapshot, nodes: [NodeLabels], into writer: inout MetricWriter) {
        writer.begin(.info("valkey_exporter_build", "Version of valkey-cluster-exporter; always 1."))
        writer.sample(extra: MetricWriter.labels(["version": version]), Int64(1))
        writer.begin(.counter("valkey_exporter_cycles", "Collection cycles finished since the exporter started."))
        writer.sample(Int64(snapshot.sequence))
        writer.begin(.gauge("valkey_exporter_cycle_duration_seconds", "Wall time of the last collection cycle: discovery plus every node in parallel."))
        writer.sample(snapshot.duration.seconds)
        writer.begin(.gauge("valkey_exporter_last_cycle_timestamp_seconds",
                            "Unix time the last cycle finished; time() minus this is the age of every value here."))
        writer.sample(snapshot.finishedAt.timeIntervalSince1970)
        writer.begin(.gauge("valkey_exporter_cluster_reachable", "1 when a seed or known node answered CLUSTER NODES (or a standalone server answered) in the last cycle."))
        writer.sample(Int64(snapshot.mode == .unreachable ? 0 : 1))
        if !snapshot.discoveryErrorsTotal.isEmpty {
            writer.begin(.counter("valkey_exporter_discovery_errors", "Cycles in which no seed or known node answered discovery, by reason."))
            for (reason, count) in snapshot.discoveryErrorsTotal.sorted(by: { $0.key < $1.key }) {
                writer.sample(extra: MetricWriter.labels(["reason": reason]), Int64(count))
            }
        }

        let attempted = nodes.filter { $0.node.collectionsTotal > 0 }
        if !attempted.isEmpty {
            writer.begin(.gauge("valkey_exporter_collection_duration_seconds", "Wall time of the node's collection in the last cycle, connect included."))
            for node in attempted { writer.sample(labels: node.labels, node.node.collectionDuration.seconds) }
            writer.begin(.counter("valkey_exporter_collections", "Collections of the node attempted since the exporter started."))
            for node in attempted { writer.sample(labels: node.labels, Int64(node.node.collectionsTotal)) }
        }
        let failing = nodes.filter { !$0.node.errorsTotal.isEmpty }
        if !failing.isEmpty {
            writer.begin(.counter("valkey_exporter_collection_errors", "Failed collections of the node (or of its SLOT-STATS), by bounded reason."))
            for node in failing {
                for (reason, count) in node.node.errorsTotal.sorted(by: { $0.key < $1.key }) {
                    writer.sample(labels: node.labels, extra: MetricWriter.labels(["reason": reason]), Int64(count))
                }
            }
        }
        let sampled = nodes.filter { $0.node.sample != nil }
        if !sampled.isEmpty {
            writer.begin(.gauge("valkey_exporter_last_collection_timestamp_seconds", "Unix time of the node's last successful collection."))
            for node in sampled { writer.sample(labels: node.labels, node.node.sample!.collectedAt.timeIntervalSince1970) }
        }
    }
}
