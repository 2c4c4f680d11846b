extension ClusterNode {
    /// Parses one line of a `CLUSTER NODES` reply:
    /// `<id> <ip:port@cport[,hostname]> <flags> <primary-id|-> <ping-sent> <pong-recv> <config-epoch> <link-state> <slot>...`
    ///
    /// Strict, because a misread topology sends collections to the wrong place: every field is validated.
    /// - Parameter lineNumber: reported in the error, so callers parsing a whole reply can point at the line.
    /// - Throws: `ClusterNodesParseError` naming `lineNumber` and the first problem found.
    public init(parsingClusterNodesLine line: some StringProtocol, lineNumber: Int = 1) throws(ClusterNodesParseError) {
        do {
            self = try Self.parse(Substring(line))
        } catch {
            throw ClusterNodesParseError(line: lineNumber, reason: error.reason)
        }
    }

    /// A parse failure inside one line; the caller adds the line number.
    struct LineError: Error {
        var reason: String
    }

    private static let fieldNames = [
        "node id", "address", "flags", "primary id", "ping-sent", "pong-recv", "config-epoch", "link-state",
    ]

    private static func parse(_ line: Substring) throws(LineError) -> ClusterNode {
        // Fields are separated by single spaces; splitting on any whitespace also drops a stray trailing "\r".
        let fields = TextScanning.fields(line)
        guard fields.count >= fieldNames.count else {
            throw LineError(reason: "missing \(fieldNames[fields.count]) field (expected at least \(fieldNames.count) fields, found \(fields.count))")
        }
        guard let id = NodeID(fields[0]) else {
            throw LineError(reason: "invalid node id '\(fields[0])' (expected 40 lowercase hex characters)")
        }
        let address = try parseAddress(fields[1])
        let flags = try parseFlags(fields[2])
        var primaryID: NodeID?
        if fields[3] != "-" {
            guard let parsed = NodeID(fields[3]) else {
                throw LineError(reason: "invalid primary id '\(fields[3])' (expected '-' or 40 lowercase hex characters)")
            }
            primaryID = parsed
        }
        guard let pingSent = TextScanning.unsignedDecimal(fields[4], as: Int64.self) else {
            throw LineError(reason: "invalid ping-sent '\(fields[4])'")
        }
        guard let pongReceived = TextScanning.unsignedDecimal(fields[5], as: Int64.self) else {
            throw LineError(reason: "invalid pong-recv '\(fields[5])'")
        }
        guard let configEpoch = TextScanning.unsignedDecimal(fields[6], as: UInt64.self) else {
            throw LineError(reason: "invalid config-epoch '\(fields[6])'")
        }
        guard let linkState = LinkState(rawValue: String(fields[7])) else {
            throw LineError(reason: "invalid link-state '\(fields[7])' (expected connected or disconnected)")
        }
        var slots: [SlotRange] = []
        var migrations: [SlotMigration] = []
        for token in fields.dropFirst(fieldNames.count) {
            if token.hasPrefix("[") {
                migrations.append(try parseMigration(token))
            } else {
                slots.append(try parseSlotRange(token))
            }
        }
        slots.sort()
        return ClusterNode(
            id: id, address: address, flags: flags, primaryID: primaryID,
            pingSent: pingSent, pongReceived: pongReceived, configEpoch: configEpoch,
            linkState: linkState, slots: slots, migrations: migrations)
    }

    /// `ip:port@cport[,hostname]`, the legacy `ip:port`, or `:0@0` for noaddr (returned as nil).
    /// IPv6 is printed without brackets, so the port is after the last colon before `@`.
    private static func parseAddress(_ field: Substring) throws(LineError) -> NodeAddress? {
        func fail(_ why: String) -> LineError {
            LineError(reason: "invalid address '\(field)': \(why)")
        }
        // After the first comma: the hostname, then (7.2+ nodes.conf style) key=value aux fields we do not need.
        let parts = field.split(separator: ",", omittingEmptySubsequences: false)
        let hostname = parts.dropFirst().first.flatMap { $0.isEmpty || $0.contains("=") ? nil : String($0) }

        let endpoint = parts[0]
        let hostPort: Substring
        var busPort: Int?
        if let at = endpoint.firstIndex(of: "@") {
            hostPort = endpoint[..<at]
            let busText = endpoint[endpoint.index(after: at)...]
            guard let parsed = TextScanning.unsignedDecimal(busText, as: Int.self), parsed <= 65535 else {
                throw fail("bus port '\(busText)' is not a number between 0 and 65535")
            }
            busPort = parsed
        } else {
            hostPort = endpoint
        }
        guard let colon = hostPort.lastIndex(of: ":") else { throw fail("missing port") }
        var host = hostPort[..<colon]
        let portText = hostPort[hostPort.index(after: colon)...]
        guard let port = TextScanning.unsignedDecimal(portText, as: Int.self), port <= 65535 else {
            throw fail("port '\(portText)' is not a number between 0 and 65535")
        }
        if host.hasPrefix("[") && host.hasSuffix("]") && host.count >= 2 {
            host = host.dropFirst().dropLast()
        }
        guard !host.contains(where: { $0 == "@" || $0 == "[" || $0 == "]" }) else { throw fail("malformed host") }
        // Port 0 or an empty host (noaddr, or a node that has not learned its own IP yet): nowhere to connect.
        if port == 0 || host.isEmpty {
            return nil
        }
        return NodeAddress(host: String(host), port: port, busPort: busPort, hostname: hostname)
    }

    private static func parseFlags(_ field: Substring) throws(LineError) -> [String] {
        if field == "noflags" { return [] }
        let flags = field.split(separator: ",", omittingEmptySubsequences: false)
        guard !flags.contains(where: \.isEmpty) else { throw LineError(reason: "empty flag in '\(field)'") }
        return flags.map(String.init)
    }

    private static func parseSlot(_ text: Substring, in token: Substring) throws(LineError) -> Int {
        guard let slot = TextScanning.unsignedDecimal(text, as: Int.self) else {
            throw LineError(reason: "invalid slot '\(token)'")
        }
        guard SlotRanges.validSlots.contains(slot) else {
            throw LineError(reason: "slot \(slot) in '\(token)' is out of range 0...16383")
        }
        return slot
    }

    /// `N` or `N-M`.
    private static func parseSlotRange(_ token: Substring) throws(LineError) -> SlotRange {
        let ends = token.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        let lower = try parseSlot(ends[0], in: token)
        let upper = ends.count == 2 ? try parseSlot(ends[1], in: token) : lower
        guard lower <= upper else {
            throw LineError(reason: "slot range '\(token)' starts after it ends")
        }
        return SlotRange(lower, upper)
    }

    /// `[N->-id]` (migrating to id) or `[N-<-id]` (importing from id).
    private static func parseMigration(_ token: Substring) throws(LineError) -> SlotMigration {
        guard token.hasSuffix("]") else { throw LineError(reason: "invalid migration marker '\(token)'") }
        let body = token.dropFirst().dropLast()
        let direction: SlotMigration.Direction
        let separator: Range<Substring.Index>
        if let range = body.firstRange(of: "->-") {
            direction = .migrating
            separator = range
        } else if let range = body.firstRange(of: "-<-") {
            direction = .importing
            separator = range
        } else {
            throw LineError(reason: "invalid migration marker '\(token)' (expected [slot->-id] or [slot-<-id])")
        }
        let slot = try parseSlot(body[..<separator.lowerBound], in: token)
        guard let peer = NodeID(body[separator.upperBound...]) else {
            throw LineError(reason: "invalid node id in migration marker '\(token)'")
        }
        return SlotMigration(slot: slot, direction: direction, peer: peer)
    }
}
