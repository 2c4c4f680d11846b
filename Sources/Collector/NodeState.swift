import ClusterModel
import Foundation
import ValkeyConnection

/// Whether a node answered this cycle.
public enum NodeStatus: String, Sendable, Hashable, Codable {
    /// Every command needed for the node's metrics succeeded.
    case online
    /// The node could not be reached (refused, timeout, reset, no address).
    case offline
    /// The node was reached but a command failed (auth, permissions, bad reply).
    case error
}

/// One good set of replies from a node.
public struct NodeSample: Sendable {
    /// Wall-clock time the replies arrived.
    public var collectedAt: Date
    /// The parsed `INFO` reply.
    public var info: InfoReply
    /// Sum of `used_cpu_sys` and `used_cpu_user`, seconds.
    public var cpuSeconds: Double? {
        guard let sys = info.double("used_cpu_sys"), let user = info.double("used_cpu_user") else { return nil }
        return sys + user
    }
    /// The server's own clock (`server_time_usec`), which makes CPU rates independent of our scheduling jitter.
    public var serverTimeMicros: Int64? { info.int("server_time_usec") }

    public init(collectedAt: Date, info: InfoReply) {
        self.collectedAt = collectedAt
        self.info = info
    }
}

/// What a snapshot knows about one node: identity from the topology, this cycle's outcome, and the
/// latest good sample (kept, with its collection time, when the node fails).
public struct NodeState: Sendable {
    /// Cluster node id; `nil` for a standalone server.
    public var id: NodeID?
    /// Where we connect; `nil` for a node the cluster knows but has no address for (`noaddr`).
    public var address: NodeAddress?
    /// The node's line in `CLUSTER NODES`; `nil` for a standalone server.
    public var clusterNode: ClusterNode?
    public var status: NodeStatus
    /// Why this cycle's collection failed, if it did.
    public var error: ValkeyError?
    /// The latest good sample; may be from an earlier cycle when `status` is not `online`.
    public var sample: NodeSample?
    /// CPU use in percent of one core, from the two latest good samples.
    public var cpuPercent: Double?
    /// How long this cycle's collection of this node took.
    public var collectionDuration: Duration
    /// Why SLOT-STATS could not be read from this node, if it could not (the node may still be `online`).
    public var slotStatsError: ValkeyError?
    /// The node's shard id (`CLUSTER MYSHARDID`), kept from the last cycle that read it.
    public var shardID: String?
    /// Collection attempts of this node since the exporter started.
    public var collectionsTotal: UInt64 = 0
    /// Failed collections (and failed SLOT-STATS reads) since the exporter started, by bounded reason.
    public var errorsTotal: [String: UInt64] = [:]

    public init(
        id: NodeID?, address: NodeAddress?, clusterNode: ClusterNode?, status: NodeStatus,
        error: ValkeyError? = nil, sample: NodeSample? = nil, cpuPercent: Double? = nil,
        collectionDuration: Duration = .zero, slotStatsError: ValkeyError? = nil
    ) {
        self.id = id
        self.address = address
        self.clusterNode = clusterNode
        self.status = status
        self.error = error
        self.sample = sample
        self.cpuPercent = cpuPercent
        self.collectionDuration = collectionDuration
        self.slotStatsError = slotStatsError
    }

    /// The role as the cluster sees it, or from INFO for a standalone server.
    public var role: NodeRole {
        if let clusterNode { return clusterNode.role }
        switch sample?.info["role"] {
        case "master": return .primary
        case "slave": return .replica
        default: return .unknown
        }
    }

    /// Stable key for matching a node across cycles.
    var identity: String { id?.rawValue ?? address?.description ?? "" }
}
