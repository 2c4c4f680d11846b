import RESP

/// How to open and use a connection to one node. The same settings apply to every node of a cluster.
public struct ValkeyConnectionConfiguration: Sendable {
    /// ACL user name; `nil` authenticates as `default` when a password is set.
    public var username: String?
    /// Password, if the server requires one.
    public var password: Secret?
    /// Sent with `CLIENT SETNAME` (or `HELLO ... SETNAME`) so operators can see us in `CLIENT LIST`.
    public var clientName: String
    /// Deadline for the TCP connect plus the handshake.
    public var connectTimeout: Duration
    /// Deadline for a command (or a pipelined batch, whose commands are all sent at once) to be answered.
    public var commandTimeout: Duration
    /// Limits on what the server may send us.
    public var limits: RESPLimits
    /// Ask for RESP3 with `HELLO 3`; falls back to RESP2 when the server does not know HELLO.
    public var preferRESP3: Bool
    /// TLS for every connection, or plaintext when nil. Never both: there is no fallback.
    public var tls: ValkeyTLS?
    /// Counter names whose `[integer, map]` entries the decoder reads while validating replies
    /// (``RESPTokenDecoder/init(limits:counterNames:)``); nil reads none.
    public var counterNames: CounterNames?

    public init(
        username: String? = nil,
        password: Secret? = nil,
        clientName: String = "valkey-cluster-exporter",
        connectTimeout: Duration = .seconds(2),
        commandTimeout: Duration = .seconds(5),
        limits: RESPLimits = .exporter,
        preferRESP3: Bool = true,
        tls: ValkeyTLS? = nil,
        counterNames: CounterNames? = nil
    ) {
        self.username = username
        self.password = password
        self.clientName = clientName
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.limits = limits
        self.preferRESP3 = preferRESP3
        self.tls = tls
        self.counterNames = counterNames
    }
}

extension RESPLimits {
    /// Limits for what the exporter reads from a node. The largest reply it asks for is a full
    /// `CLUSTER SLOT-STATS` of a primary owning all 16384 slots (~1.8 MB); `CLUSTER NODES` of a 1000-node
    /// cluster is ~150 KB. A hostile or broken node streaming more than 16 MB is cut off instead of
    /// growing the process by hundreds of megabytes every cycle.
    public static let exporter = RESPLimits(
        maxBulkLength: 8 * 1024 * 1024, maxAggregateCount: 262_144, maxDepth: 16, maxReplySize: 16 * 1024 * 1024)
}
