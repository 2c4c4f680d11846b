import ClusterModel
import Foundation
import Logging
import RESP
import ValkeyConnection

/// What one node told us in one cycle.
struct NodeOutcome: Sendable {
    var address: NodeAddress
    var status: NodeStatus
    var error: ValkeyError?
    var sample: NodeSample?
    /// SLOT-STATS entries, when asked for and answered.
    var slotStats: [SlotStat]?
    var slotStatsError: ValkeyError?
    /// The server does not have `CLUSTER SLOT-STATS` at all.
    var slotStatsUnsupported = false
    /// `CLUSTER MYSHARDID` (Valkey 8+); nil on older servers and standalone.
    var shardID: String?
    var duration: Duration
}

/// Collects one node: one pipelined round trip of `INFO` plus, for primaries, `CLUSTER SLOT-STATS`
/// over each slot range the node owns.
struct NodeCollector: Sendable {
    /// The INFO sections the API and `/metrics` use; `everything` would add ~10 KB of latency stats per node.
    static let infoCommand = ["INFO", "server", "clients", "memory", "stats", "cpu", "replication", "keyspace", "cluster"]

    let pool: ConnectionPool

    func collect(_ address: NodeAddress, clusterMode: Bool, slotRanges: [SlotRange]) async -> NodeOutcome {
        let started = ContinuousClock.now
        var outcome = NodeOutcome(address: address, status: .offline, duration: .zero)
        do throws(ValkeyError) {
            let connection = try await pool.connection(to: address)
            var commands = [Self.infoCommand]
            if clusterMode { commands.append(["CLUSTER", "MYSHARDID"]) }
            let slotStatsStart = commands.count
            for range in slotRanges {
                commands.append(["CLUSTER", "SLOT-STATS", "SLOTSRANGE", String(range.lowerBound), String(range.upperBound)])
            }
            let replies: [RESPToken]
            do throws(ValkeyError) {
                replies = try await connection.pipeline(commands)
            } catch {
                // A late reply must never be read as the answer to the next cycle's command.
                await pool.discard(address)
                throw error
            }
            let collectedAt = Date()
            if let message = replies[0].errorMessage {
                outcome.status = .error
                outcome.error = ValkeyError.fromErrorReply(message)
            } else if let text = replies[0].string {
                outcome.status = .online
                outcome.sample = NodeSample(collectedAt: collectedAt, info: InfoReply(parsing: text))
            } else {
                outcome.status = .error
                outcome.error = ValkeyError(.unexpectedReply, "INFO reply is not a string")
            }
            if clusterMode, replies[1].errorMessage == nil { outcome.shardID = replies[1].string }
            if !slotRanges.isEmpty { readSlotStats(replies[slotStatsStart...], into: &outcome) }
        } catch {
            outcome.error = error
            // Reached but refused us, or spoke nonsense: `error`. Could not talk at all: `offline`.
            switch error.reason {
            case .auth, .noperm, .protocol, .unexpectedReply, .serverError, .loading, .tls: outcome.status = .error
            default: outcome.status = .offline
            }
        }
        outcome.duration = ContinuousClock.now - started
        return outcome
    }

    private func readSlotStats(_ replies: ArraySlice<RESPToken>, into outcome: inout NodeOutcome) {
        var stats: [SlotStat] = []
        for reply in replies {
            if let message = reply.errorMessage {
                if message.contains("unknown subcommand") || message.contains("unknown command") {
                    outcome.slotStatsUnsupported = true
                    outcome.slotStatsError = ValkeyError(.serverError, "CLUSTER SLOT-STATS is not supported by this server")
                } else {
                    outcome.slotStatsError = ValkeyError.fromErrorReply(message)
                }
                return
            }
            switch SlotStatsReply.parse(reply) {
            case .success(let entries): stats.append(contentsOf: entries)
            case .failure(let failure):
                outcome.slotStatsError = ValkeyError(.unexpectedReply, "SLOT-STATS: \(failure.message)")
                return
            }
        }
        outcome.slotStats = stats
    }
}
