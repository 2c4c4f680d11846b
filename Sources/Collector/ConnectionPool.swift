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
    private let configuration: ValkeyConnectionConfiguration
    private let logger: Logger

    init(configuration: ValkeyConnectionConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// An open connection to `address`, reusing the last one when it is still usable.
    func connection(to address: NodeAddress) async throws(ValkeyError) -> ValkeyConnection {
        if let existing = connections[address] {
            if existing.isUsable { return existing }
            connections[address] = nil
            await existing.close()
        }
        let connection = try await ValkeyConnection.connect(
            host: address.host, port: address.port, configuration: configuration, logger: logger)
        // Another task may have connected while we were suspended; keep one, close the other.
        if let raced = connections[address], raced.isUsable {
            await connection.close()
            return raced
        }
        connections[address] = connection
        logger.debug("connected", metadata: ["node": "\(address)", "resp": "\(connection.protocolVersion)"])
        return connection
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

    /// Number of open connections, for tests and self-metrics.
    var count: Int { connections.count }
}
