/// A node's role, from the `master` / `slave` flags of `CLUSTER NODES`.
///
/// The raw values are Valkey's wire words so the enum round-trips INFO's `role:` field too.
public enum NodeRole: String, Sendable, Codable, Hashable {
    /// Serves slots (or could: an empty primary has none).
    case primary = "master"
    /// Replicates a primary.
    case replica = "slave"
    /// Neither flag is set, e.g. for a node still in `handshake`.
    case unknown

    /// Derives the role from the flags of a `CLUSTER NODES` line.
    public init(flags: [String]) {
        if flags.contains("master") {
            self = .primary
        } else if flags.contains("slave") {
            self = .replica
        } else {
            self = .unknown
        }
    }
}
