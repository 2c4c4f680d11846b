import ClusterModel
import ValkeyConnection

/// What to collect from, how often, and how to connect.
public struct CollectorConfiguration: Sendable {
    /// Seed addresses; any one that answers is enough to discover the cluster.
    public var seeds: [NodeAddress]
    /// Time between the starts of two cycles.
    public var interval: Duration
    /// Connection settings shared by every node.
    public var connection: ValkeyConnectionConfiguration
    /// Whether to read `CLUSTER SLOT-STATS` from primaries.
    public var collectSlotStats: Bool

    public init(
        seeds: [NodeAddress], interval: Duration = .seconds(15),
        connection: ValkeyConnectionConfiguration = .init(), collectSlotStats: Bool = true
    ) {
        self.seeds = seeds
        self.interval = interval
        self.connection = connection
        self.collectSlotStats = collectSlotStats
    }
}
