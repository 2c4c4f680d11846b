import ClusterModel
import Collector
import NIOCore

/// Renders a snapshot into one complete exposition. Pure: the same snapshot gives the same bytes.
public struct MetricsRenderer: Sendable {
    public var slotMetrics: SlotMetricsSelection
    public var version: String

    public init(slotMetrics: SlotMetricsSelection = .all, version: String) {
        self.slotMetrics = slotMetrics
        self.version = version
    }

    /// Renders `snapshot` once for both formats (see ``RenderedExposition``).
    public func render(_ snapshot: ClusterSnapshot) -> RenderedExposition {
        // ~102 bytes per slot sample with a 40-character node ID; reserving once avoids regrowing (and
        // copying) a multi-megabyte buffer. Pages not written are never touched, so the slack costs no memory.
        let slotSamples = snapshot.slotStats.reportedSlotCount * 4
        var writer = MetricWriter(capacity: 64 * 1024 + slotSamples * 110)
        let nodes = snapshot.nodes.map(NodeLabels.init)
        writeNodeFamilies(snapshot, nodes: nodes, into: &writer)
        writeClusterFamilies(snapshot, into: &writer)
        writeSlotFamilies(snapshot, into: &writer)
        writeExporterFamilies(snapshot, nodes: nodes, into: &writer)
        writer.begin(.gauge("valkey_exporter_series", "Number of samples in this exposition, this one included."))
        writer.sample(Int64(writer.sampleCount + 1))
        writer.finish()
        return RenderedExposition(text: writer.buffer, openMetricsPatches: writer.openMetricsPatches, samples: writer.sampleCount)
    }

    /// The exposition in one format as one buffer, and how many samples it holds.
    public func render(_ snapshot: ClusterSnapshot, format: ExpositionFormat) -> (bytes: ByteBuffer, samples: Int) {
        let rendered = render(snapshot)
        return (rendered.joined(format), rendered.samples)
    }
}

/// A node with its label fragment, escaped once per render.
struct NodeLabels {
    let node: NodeState
    /// `node_id="...",addr="..."`
    let labels: String

    init(_ node: NodeState) {
        self.node = node
        self.labels = MetricWriter.labels(["node_id": node.id?.rawValue ?? "", "addr": node.address?.description ?? ""])
    }
}
