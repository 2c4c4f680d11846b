/// One line of `CLUSTER NODES`: a node as the reporting node sees it.
///
/// Role and state properties are derived from `flags` rather than stored, so they can never disagree with them.
public struct ClusterNode: Hashable, Sendable {
    /// The node's id.
    public var id: NodeID
    /// The client address. Nil for `noaddr` nodes (`:0@0`), an empty host, or port 0: nowhere to connect.
    public var address: NodeAddress?
    /// The raw flags in reply order (`myself`, `master`, `fail?`, ...); unknown flags are kept as they are,
    /// and `noflags` becomes an empty list.
    public var flags: [String]
    /// For a replica, the primary it replicates; nil where Valkey prints `-`.
    public var primaryID: NodeID?
    /// Unix time in milliseconds of the unanswered ping in flight, or 0.
    public var pingSent: Int64
    /// Unix time in milliseconds of the last pong received (0 on the `myself` line).
    public var pongReceived: Int64
    /// The configuration epoch of the node (of its primary, for a replica).
    public var configEpoch: UInt64
    /// The state of the cluster bus link to this node.
    public var linkState: LinkState
    /// The slots this node serves, sorted. Migration markers are not ownership and live in `migrations`.
    public var slots: [SlotRange]
    /// Slots moving to or from this node, only ever present on the `myself` line.
    public var migrations: [SlotMigration]

    /// Creates a node directly (tests, fakes); the parser is `init(parsingClusterNodesLine:lineNumber:)`.
    public init(
        id: NodeID,
        address: NodeAddress?,
        flags: [String],
        primaryID: NodeID? = nil,
        pingSent: Int64 = 0,
        pongReceived: Int64 = 0,
        configEpoch: UInt64 = 0,
        linkState: LinkState = .connected,
        slots: [SlotRange] = [],
        migrations: [SlotMigration] = []
    ) {
        self.id = id
        self.address = address
        self.flags = flags
        self.primaryID = primaryID
        self.pingSent = pingSent
        self.pongReceived = pongReceived
        self.configEpoch = configEpoch
        self.linkState = linkState
        self.slots = slots
        self.migrations = migrations
    }

    /// Primary, replica, or unknown (handshake), from the `master` / `slave` flags.
    public var role: NodeRole { NodeRole(flags: flags) }
    /// The line describes the node that produced the reply.
    public var isMyself: Bool { flags.contains("myself") }
    /// `fail`: the cluster agreed the node is down.
    public var isFailed: Bool { flags.contains("fail") }
    /// `fail?` (PFAIL): the reporting node cannot reach it, but there is no agreement yet.
    public var isPossiblyFailed: Bool { flags.contains("fail?") }
    /// `handshake`: a node being introduced; its id is provisional and it has no role.
    public var isHandshake: Bool { flags.contains("handshake") }
    /// `noaddr`: the reporting node does not know an address for it.
    public var hasNoAddress: Bool { flags.contains("noaddr") }
    /// `nofailover`: a replica that will not try to fail over its primary.
    public var noFailover: Bool { flags.contains("nofailover") }

    /// Whether the exporter may connect to the node. Handshake ids are provisional and noaddr or port-0
    /// addresses lead nowhere, so those are never dialled.
    public var isConnectable: Bool {
        guard !isHandshake, !hasNoAddress, let address else { return false }
        return address.port > 0 && !address.host.isEmpty
    }

    /// How many slots the node serves.
    public var slotCount: Int { SlotRanges.count(slots) }
}
