import ClusterModel
import Logging
import ValkeyConnection

/// One reusable connection per node address, replaced when it breaks.
///
/// Connections are opened lazily and kept across cycles, so a steady cluster costs no reconnects; a
/// connection that timed out or desynchronised is closed and a fresh one is opened next time. Each node
/// is collected by one task at a time, so a connection is never shared by two pipelines.
actor ConnectionPool {
    private var connections: [NodeAddress: ValkeyConnection] = [:]
    private var configuration: ValkeyConnectionConfiguration
    private let logger: Logger
    /// Nodes that rejected our credentials: no new login before `retryAt`.
    private var authFailures: [NodeAddress: (count: Int, retryAt: ContinuousClock.Instant)] = [:]
    private let authBackoff: Backoff

    init(configuration: ValkeyConnectionConfiguration, authBackoff: Backoff, logger: Logger) {
        var configuration = configuration
        // SLOT-STATS entries are read once, while the decoder validates them, instead of twice.
        configuration.counterNames = SlotStatsReply.counterNames
        self.configuration = configuration
        self.authBackoff = authBackoff
        self.logger = logger
    }

    /// An open connection to `address`, reusing the last one when it is still usable.
    ///
    /// After a failed login the node is not asked again until its backoff has passed: a wrong password
    /// would otherwise cost the server an `acl_access_denied_auth` and a log line every cycle.
    func connection(to address: NodeAddress) async throws(ValkeyError) -> ValkeyConnection {
        if let existing = connections[address] {
            if existing.isUsable { return existing }
            connections[address] = nil
            await existing.close()
        }
        if let failure = authFailures[address], ContinuousClock.now < failure.retryAt {
            let wait = failure.retryAt - ContinuousClock.now
            throw ValkeyError(.auth, "authentication failed; next login attempt in \(Int(wait.seconds.rounded(.up)))s")
        }
        let connection: ValkeyConnection
        do throws(ValkeyError) {
            connection = try await ValkeyConnection.connect(
                host: address.host, port: address.port, configuration: configuration, logger: logger)
        } catch {
            if error.reason == .auth {
                let count = (authFailures[address]?.count ?? 0) + 1
                let delay = authBackoff.delay(afterFailures: count)
                authFailures[address] = (count, ContinuousClock.now + delay)
                logger.warning("authentication failed; backing off", metadata: [
                    "node": "\(address)", "attempt": "\(count)", "retry_in_s": "\(Int(delay.seconds.rounded(.up)))",
                ])
            }
            throw error
        }
        authFailures[address] = nil
        // Another task may have connected while we were suspended; keep one, close the other.
        if let raced = connections[address], raced.isUsable {
            await connection.close()
            return raced
        }
        connections[address] = connection
        logger.debug("connected", metadata: ["node": "\(address)", "resp": "\(connection.protocolVersion)"])
        return connection
    }

    /// New credentials (SIGHUP re-read the password file). Open connections stay as they are: they are
    /// authenticated already, and dropping them would cost every node a reconnect for nothing. Nodes that
    /// refused the old password may try the new one at once instead of waiting out their backoff.
    func updatePassword(_ password: Secret?) {
        configuration.password = password
        authFailures.removeAll()
    }

    /// Closes and forgets the connection to `address` (after a timeout or protocol error).
    func discard(_ address: NodeAddress) async {
        guard let connection = connections.removeValue(forKey: address) else { return }
        await connection.close()
    }

    /// Closes connections to addresses that are no longer part of the cluster.
    func retain(only addresses: Set<NodeAddress>) async {
        for (address, connection) in connections where !addresses.contains(address) {
            connections[address] = nil
            await connection.close()
        }
    }

    /// Closes every connection (shutdown).
    func closeAll() async {
        let all = connections.values
        connections.removeAll()
        for connection in all { await connection.close() }
    }
}
