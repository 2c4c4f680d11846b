/// A slot being moved between shards, shown only on the `myself` line of the nodes taking part.
public struct SlotMigration: Hashable, Sendable {
    /// Which side of the move the reporting node is on.
    public enum Direction: Hashable, Sendable {
        /// `[slot->-peer]`: this node is the source, sending keys to `peer`.
        case migrating
        /// `[slot-<-peer]`: this node is the destination, receiving keys from `peer`.
        case importing
    }

    /// The slot being moved.
    public var slot: Int
    /// Whether this node sends or receives the slot.
    public var direction: Direction
    /// The node on the other end of the move.
    public var peer: NodeID

    /// Creates a migration marker.
    public init(slot: Int, direction: Direction, peer: NodeID) {
        self.slot = slot
        self.direction = direction
        self.peer = peer
    }
}
