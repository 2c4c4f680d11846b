/// A `CLUSTER NODES` reply that could not be trusted, with the 1-based line at fault and why.
public struct ClusterNodesParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The 1-based line number in the reply (for topologies built from nodes: the 1-based node position).
    public var line: Int
    /// What is wrong, e.g. "invalid node id 'xyz' (expected 40 lowercase hex characters)".
    public var reason: String

    /// Creates an error for a 1-based line.
    public init(line: Int, reason: String) {
        self.line = line
        self.reason = reason
    }

    /// "CLUSTER NODES line N: reason", for logs.
    public var description: String {
        "CLUSTER NODES line \(line): \(reason)"
    }
}
