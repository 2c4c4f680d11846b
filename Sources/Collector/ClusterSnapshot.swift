import ClusterModel
import Foundation
import ValkeyConnection

/// Everything one collection cycle learned, immutable once built. Renderers and the HTTP API read
/// only snapshots, so a request never waits for Valkey.
public struct ClusterSnapshot: Sendable {
    /// What kind of deployment the seeds led to.
    public enum Mode: String, Sendable, Hashable {
        /// A cluster: topology from `CLUSTER NODES`.
        case cluster
        /// A single server with cluster mode off.
        case standalone
        /// No seed or known node answered discovery.
        case unreachable
    }

    /// 1 for the first cycle, then increasing.
    public var sequence: UInt64
    public var startedAt: Date
    public var finishedAt: Date
    public var duration: Duration
    public var mode: Mode
    /// The cluster's topology as seen by `topologySource`; kept from the last good discovery when unreachable.
    public var topology: ClusterTopology?
    /// The node whose `CLUSTER NODES` was used.
    public var topologySource: NodeAddress?
    /// `CLUSTER INFO` of `topologySource`.
    public var clusterInfo: InfoReply?
    /// Why discovery failed this cycle, if it did.
    public var discoveryError: ValkeyError?
    /// Failed discoveries since the exporter started, by bounded reason.
    public var discoveryErrorsTotal: [String: UInt64] = [:]
    /// Every node (handshake nodes excluded), primaries first, then by address.
    public var nodes: [NodeState]
    public var slotStats: SlotStatsTable

    public init(
        sequence: UInt64, startedAt: Date, finishedAt: Date, duration: Duration, mode: Mode,
        topology: ClusterTopology?, topologySource: NodeAddress?, clusterInfo: InfoReply?,
        discoveryError: ValkeyError?, nodes: [NodeState], slotStats: SlotStatsTable
    ) {
        self.sequence = sequence
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.duration = duration
        self.mode = mode
        self.topology = topology
        self.topologySource = topologySource
        self.clusterInfo = clusterInfo
        self.discoveryError = discoveryError
        self.nodes = nodes
        self.slotStats = slotStats
    }

    /// The node with this id, if the snapshot has it.
    public func node(_ id: NodeID) -> NodeState? { nodes.first { $0.id == id } }

    /// `ok`, `degraded` when any node is not online, `fail` when the cluster reports `cluster_state:fail`
    /// or nothing answered.
    public var clusterState: String {
        if mode == .unreachable { return "fail" }
        if let state = clusterInfo?["cluster_state"], state != "ok" { return "fail" }
        return nodes.allSatisfy { $0.status == .online } ? "ok" : "degraded"
    }
}
