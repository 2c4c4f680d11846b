/// The cluster as one node describes it in `CLUSTER NODES`, with a dense slot-owner table for O(1) lookups.
///
/// Immutable once built: the owner table is derived from `nodes` at init and must not drift from it.
public struct ClusterTopology: Sendable, Hashable {
    /// Every node, in reply order.
    public let nodes: [ClusterNode]
    /// Slot -> index into `nodes`; `unassigned` where no node serves the slot. 16384 x 2 bytes, shared copy-on-write.
    @usableFromInline let slotOwners: [UInt16]
    private let indexByID: [NodeID: Int]
    /// The number of slots some node serves.
    public let assignedSlotCount: Int

    private static let unassigned: UInt16 = 0xFFFF

    /// Builds a topology from nodes, checking what the parser checks across lines: ids are unique and
    /// no slot is served by two nodes.
    /// - Throws: `ClusterNodesParseError` whose `line` is the 1-based position of the offending node.
    public init(nodes: [ClusterNode]) throws(ClusterNodesParseError) {
        guard nodes.count < Int(Self.unassigned) else {
            throw ClusterNodesParseError(line: Int(Self.unassigned), reason: "too many nodes (at most 65534 supported)")
        }
        var indexByID: [NodeID: Int] = [:]
        indexByID.reserveCapacity(nodes.count)
        var owners = [UInt16](repeating: Self.unassigned, count: SlotRanges.slotCount)
        var assigned = 0
        for (index, node) in nodes.enumerated() {
            if let previous = indexByID.updateValue(index, forKey: node.id) {
                throw ClusterNodesParseError(
                    line: index + 1, reason: "duplicate node id \(node.id) (first seen on line \(previous + 1))")
            }
            for range in node.slots {
                // Without bounds and uniqueness checks per slot: this loop runs 16384 times per topology.
                let conflict = owners.withUnsafeMutableBufferPointer { table -> Int? in
                    // One check per range instead (the bounds are public vars): out of range traps, as indexing did.
                    precondition(range.lowerBound >= 0 && range.upperBound < table.count, "slot range \(range) out of bounds")
                    for slot in range.slots {
                        guard table[slot] == Self.unassigned else { return slot }
                        table[slot] = UInt16(index)
                    }
                    return nil
                }
                if let slot = conflict {
                    let owner = owners[slot]
                    let other = nodes[Int(owner)].id
                    let reason = other == node.id
                        ? "slot \(slot) listed twice"
                        : "slot \(slot) is also claimed by \(other) (line \(Int(owner) + 1))"
                    throw ClusterNodesParseError(line: index + 1, reason: reason)
                }
                assigned += range.slots.count
            }
        }
        self.nodes = nodes
        self.slotOwners = owners
        self.indexByID = indexByID
        self.assignedSlotCount = assigned
    }

    /// The node with `id`, if the topology lists it.
    public func node(_ id: NodeID) -> ClusterNode? {
        indexByID[id].map { nodes[$0] }
    }

    /// The node that produced the reply (flag `myself`).
    public var myself: ClusterNode? {
        nodes.first(where: \.isMyself)
    }

    /// Nodes flagged `master`, in reply order, including failed ones and primaries without slots.
    public var primaries: [ClusterNode] {
        nodes.filter { $0.role == .primary }
    }

    /// Nodes that name `id` as their primary, in reply order.
    public func replicas(of id: NodeID) -> [ClusterNode] {
        nodes.filter { $0.primaryID == id }
    }

    /// The primary a node replicates, if it is a replica and the primary is listed.
    public func primary(of id: NodeID) -> ClusterNode? {
        node(id)?.primaryID.flatMap(node)
    }

    /// The node serving `slot`, or nil if the slot is unassigned or out of range. O(1).
    public func owner(ofSlot slot: Int) -> ClusterNode? {
        guard SlotRanges.validSlots.contains(slot) else { return nil }
        let owner = slotOwners[slot]
        return owner == Self.unassigned ? nil : nodes[Int(owner)]
    }

    /// The position in ``nodes`` of the node with `id`.
    public func index(of id: NodeID) -> Int? {
        indexByID[id]
    }

    /// Whether the node at `index` in ``nodes`` serves `slot`. O(1) with no id compare: the snapshot builder asks
    /// this for every slot every cycle, so it is inlinable into that loop.
    @inlinable
    public func servesSlot(_ slot: Int, nodeAt index: Int) -> Bool {
        // `unassigned` is never a node index (init allows fewer nodes than it).
        SlotRanges.validSlots.contains(slot) && Int(slotOwners[slot]) == index
    }

    /// Whether every one of the 16384 slots has an owner (a precondition for `cluster_state:ok`).
    public var allSlotsCovered: Bool {
        assignedSlotCount == SlotRanges.slotCount
    }

    /// The slots with no owner, as ranges.
    public var unassignedSlotRanges: [SlotRange] {
        SlotRanges.coalesce(SlotRanges.validSlots.lazy.filter { slotOwners[$0] == Self.unassigned })
    }

    /// The slots `id` serves, sorted; empty for unknown nodes and replicas.
    public func slotRanges(of id: NodeID) -> [SlotRange] {
        node(id)?.slots ?? []
    }

    /// Equal when the nodes are equal: the owner table and index are derived from them.
    public static func == (lhs: ClusterTopology, rhs: ClusterTopology) -> Bool {
        lhs.nodes == rhs.nodes
    }

    /// Hashes the nodes only, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(nodes)
    }
}
