extension ClusterTopology {
    /// Parses a whole `CLUSTER NODES` reply.
    ///
    /// Strict: any malformed line fails the whole reply, with its 1-based line number, because acting on a
    /// partly understood topology is worse than keeping the previous one. Lines may end in `\n` or `\r\n`;
    /// blank lines are allowed only at the end. Duplicate node ids and a slot claimed twice are errors.
    public init(parsingClusterNodes text: String) throws(ClusterNodesParseError) {
        var lines = TextScanning.lines(text)
        while let last = lines.last, TextScanning.isBlank(last) {
            lines.removeLast()
        }
        guard !lines.isEmpty else {
            throw ClusterNodesParseError(line: 1, reason: "empty reply (expected at least the node's own line)")
        }
        var nodes: [ClusterNode] = []
        nodes.reserveCapacity(lines.count)
        for (index, line) in lines.enumerated() {
            guard !TextScanning.isBlank(line) else {
                throw ClusterNodesParseError(line: index + 1, reason: "blank line")
            }
            nodes.append(try ClusterNode(parsingClusterNodesLine: line, lineNumber: index + 1))
        }
        // Nodes map 1:1 to lines here, so the positions in `init(nodes:)` errors are line numbers.
        try self.init(nodes: nodes)
    }
}
