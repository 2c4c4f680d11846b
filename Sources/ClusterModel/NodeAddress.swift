/// Where a node accepts client connections, as announced in `CLUSTER NODES` or given by the user.
public struct NodeAddress: Hashable, Sendable, CustomStringConvertible {
    /// An IP address or DNS name, without brackets even for IPv6.
    public var host: String
    /// The client port.
    public var port: Int
    /// The cluster bus port (`@cport`), when known. Nil for user input and legacy `CLUSTER NODES` lines.
    public var busPort: Int?
    /// The hostname a node announces (`cluster-announce-hostname`), printed after a comma in `CLUSTER NODES`.
    public var hostname: String?

    /// Creates an address; no validation, because parsers validate before they get here.
    public init(host: String, port: Int, busPort: Int? = nil, hostname: String? = nil) {
        self.host = host
        self.port = port
        self.busPort = busPort
        self.hostname = hostname
    }

    /// `host:port`, with an IPv6 host in brackets (`[::1]:7100`) so the port is unambiguous.
    /// This is the form used for the `addr` metric label and in the JSON API.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// True for `localhost`, 127.0.0.0/8 and ::1 (also written out in full or as IPv4-mapped 127.x).
    /// Used to keep test and demo traffic on loopback; DNS names other than `localhost` are not resolved.
    public var isLoopback: Bool {
        IPAddressText.isLoopback(host)
    }
}
