import ClusterModel
import Logging
import RESP
import ValkeyConnection

/// The outcome of asking the cluster for its topology.
struct DiscoveryResult: Sendable {
    var mode: ClusterSnapshot.Mode
    var topology: ClusterTopology?
    var source: NodeAddress?
    var clusterInfo: InfoReply?
    var error: ValkeyError?
}

/// Finds the cluster's topology from the first candidate that answers `CLUSTER NODES`.
struct Discovery: Sendable {
    let pool: ConnectionPool
    let logger: Logger

    /// Tries `candidates` in order; the first good answer wins. A node in cluster mode answers with its
    /// topology; a node with cluster mode off makes this a standalone deployment.
    func discover(candidates: [NodeAddress]) async -> DiscoveryResult {
        var lastError: ValkeyError?
        for address in candidates {
            do throws(ValkeyError) {
                let connection = try await pool.connection(to: address)
                let replies: [RESPToken]
                do throws(ValkeyError) {
                    replies = try await connection.pipeline([["CLUSTER", "NODES"], ["CLUSTER", "INFO"]])
                } catch {
                    await pool.discard(address)
                    throw error
                }
                if let message = replies[0].errorMessage {
                    if message.contains("cluster support disabled") {
                        return DiscoveryResult(mode: .standalone, source: address)
                    }
                    throw ValkeyError.fromErrorReply(message)
                }
                guard let text = replies[0].string else {
                    throw ValkeyError(.unexpectedReply, "CLUSTER NODES reply is not a string")
                }
                let topology: ClusterTopology
                do {
                    topology = try ClusterTopology(parsingClusterNodes: text)
                } catch {
                    throw ValkeyError(.protocol, "malformed CLUSTER NODES: \(error)")
                }
                let info = replies[1].string.map(InfoReply.init(parsing:))
                return DiscoveryResult(mode: .cluster, topology: topology, source: address, clusterInfo: info)
            } catch {
                lastError = error
                logger.debug("discovery candidate failed", metadata: ["node": "\(address)", "reason": "\(error.reason)", "error": "\(error.message)"])
            }
        }
        return DiscoveryResult(mode: .unreachable, error: lastError ?? ValkeyError(.unreachable, "no seed address"))
    }
}
