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
    /// How long a candidate may stay silent before the next one is asked as well. A healthy node answers
    /// `CLUSTER NODES` in a few milliseconds; a hung one never does, and must not cost a whole deadline.
    var stagger: Duration = .milliseconds(50)

    private enum Event: Sendable {
        case answer(index: Int, Result<DiscoveryResult, ValkeyError>)
        case staggerElapsed
    }

    /// Asks `candidates` in order, hedged: a candidate that fails is followed at once by the next, and one that
    /// has not answered after `stagger` is joined by the next while it keeps its own deadline. The first good
    /// answer wins; candidates still waiting are cancelled (their connections discarded, so a late reply is
    /// never read as the answer to another command). A node in cluster mode answers with its topology; a node
    /// with cluster mode off makes this a standalone deployment.
    func discover(candidates: [NodeAddress]) async -> DiscoveryResult {
        guard !candidates.isEmpty else {
            return DiscoveryResult(mode: .unreachable, error: ValkeyError(.unreachable, "no seed address"))
        }
        return await withTaskGroup(of: Event.self, returning: DiscoveryResult.self) { group in
            var next = 0
            var waiting = 0
            var timerRunning = false
            var lastError: ValkeyError?
            func askNext() {
                let index = next
                next += 1
                waiting += 1
                group.addTask { .answer(index: index, await ask(candidates[index])) }
                if next < candidates.count, !timerRunning {
                    timerRunning = true
                    group.addTask {
                        try? await Task.sleep(for: stagger)
                        return .staggerElapsed
                    }
                }
            }
            askNext()
            while let event = await group.next() {
                switch event {
                case .staggerElapsed:
                    timerRunning = false
                    if next < candidates.count { askNext() }
                case .answer(let index, .success(let result)):
                    if waiting > 1 || timerRunning {
                        logger.trace("discovery answered; abandoning slower candidates", metadata: ["node": "\(candidates[index])"])
                    }
                    group.cancelAll()
                    return result
                case .answer(let index, .failure(let error)):
                    waiting -= 1
                    lastError = error
                    logger.debug("discovery candidate failed", metadata: [
                        "node": "\(candidates[index])", "reason": "\(error.reason)", "error": "\(error.message)",
                    ])
                    if next < candidates.count {
                        askNext()
                    } else if waiting == 0 {
                        group.cancelAll()
                        return DiscoveryResult(mode: .unreachable, error: error)
                    }
                }
            }
            return DiscoveryResult(mode: .unreachable, error: lastError ?? ValkeyError(.unreachable, "no seed address"))
        }
    }

    /// The commands that ask a node for the topology; their replies go to ``interpret(_:from:)``.
    static let commands = [["CLUSTER", "NODES"], ["CLUSTER", "INFO"]]

    /// One candidate: `CLUSTER NODES` and `CLUSTER INFO` in one round trip.
    func ask(_ address: NodeAddress) async -> Result<DiscoveryResult, ValkeyError> {
        do throws(ValkeyError) {
            let connection = try await pool.connection(to: address)
            let replies: [RESPToken]
            do throws(ValkeyError) {
                replies = try await connection.pipeline(Self.commands)
            } catch {
                await pool.discard(address)
                throw error
            }
            return Self.interpret(replies[...], from: address)
        } catch {
            return .failure(error)
        }
    }

    /// What the replies to ``commands`` from `address` say: a cluster's topology, a standalone server, or why neither.
    static func interpret(_ replies: ArraySlice<RESPToken>, from address: NodeAddress) -> Result<DiscoveryResult, ValkeyError> {
        let nodesReply = replies[replies.startIndex]
        let infoReply = replies[replies.startIndex + 1]
        if let message = nodesReply.errorMessage {
            if message.contains("cluster support disabled") {
                return .success(DiscoveryResult(mode: .standalone, source: address))
            }
            return .failure(ValkeyError.fromErrorReply(message))
        }
        guard let text = nodesReply.string else {
            return .failure(ValkeyError(.unexpectedReply, "CLUSTER NODES reply is not a string"))
        }
        let topology: ClusterTopology
        do {
            topology = try ClusterTopology(parsingClusterNodes: text)
        } catch {
            return .failure(ValkeyError(.protocol, "malformed CLUSTER NODES: \(error)"))
        }
        let info = infoReply.string.map(InfoReply.init(parsing:))
        return .success(DiscoveryResult(mode: .cluster, topology: topology, source: address, clusterInfo: info))
    }
}
