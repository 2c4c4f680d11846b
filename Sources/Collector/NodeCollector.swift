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
    /// Keys this primary holds in slots it is importing (legacy `SETSLOT IMPORTING`), by slot. They are
    /// in no owner's SLOT-STATS until the migration ends, so the slot table adds them to the slot's count.
    var importedKeys: [Int: Int64] = [:]
    /// The topology this node reported, when it was asked in the same pipeline (see `askTopology`).
    var topologyAnswer: Result<DiscoveryResult, ValkeyError>?
    var duration: Duration
}

/// Collects one node: one pipelined round trip of `INFO` plus, for primaries, `DBSIZE` and
/// `CLUSTER SLOT-STATS` over each slot range the node owns, inside `MULTI`/`EXEC` so they describe one instant.
/// When a primary holds more keys than its own slots account for, it is importing slots: two more round
/// trips (its own `CLUSTER NODES` line for the importing markers, then `CLUSTER COUNTKEYSINSLOT` for each) find
/// those keys. That happens only while a legacy migration is in progress.
struct NodeCollector: Sendable {
    /// The INFO sections the API and `/metrics` use; `everything` would add ~10 KB of latency stats per node.
    static let infoCommand = ["INFO", "server", "clients", "memory", "stats", "cpu", "replication", "keyspace", "cluster"]

    let pool: ConnectionPool

    /// - Parameter askTopology: also send `CLUSTER NODES` and `CLUSTER INFO`, first in the same pipeline, and report
    ///   what they say in `topologyAnswer`: the cycle then needs no discovery round trip before this one.
    func collect(
        _ address: NodeAddress, clusterMode: Bool, slotStats: Bool, slotRanges: [SlotRange], askTopology: Bool = false
    ) async -> NodeOutcome {
        let started = ContinuousClock.now
        var outcome = NodeOutcome(address: address, status: .offline, duration: .zero)
        do throws(ValkeyError) {
            let connection = try await pool.connection(to: address)
            var commands = askTopology ? Discovery.commands : []
            let infoIndex = commands.count
            commands.append(Self.infoCommand)
            if clusterMode { commands.append(["CLUSTER", "MYSHARDID"]) }
            let transactionStart = commands.count
            if slotStats {
                // Atomic: no other client's write lands between DBSIZE and the SLOT-STATS it is compared with.
                commands.append(["MULTI"])
                commands.append(["DBSIZE"])
                for range in slotRanges {
                    commands.append(["CLUSTER", "SLOT-STATS", "SLOTSRANGE", String(range.lowerBound), String(range.upperBound)])
                }
                commands.append(["EXEC"])
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
            if askTopology { outcome.topologyAnswer = Discovery.interpret(replies[..<infoIndex], from: address) }
            if let message = replies[infoIndex].errorMessage {
                outcome.status = .error
                outcome.error = ValkeyError.fromErrorReply(message)
            } else if let text = replies[infoIndex].string {
                outcome.status = .online
                outcome.sample = NodeSample(collectedAt: collectedAt, info: InfoReply(parsing: text))
            } else {
                outcome.status = .error
                outcome.error = ValkeyError(.unexpectedReply, "INFO reply is not a string")
            }
            if clusterMode, replies[infoIndex + 1].errorMessage == nil { outcome.shardID = replies[infoIndex + 1].string }
            if slotStats {
                let keysInOwnSlots = readTransaction(replies[transactionStart...], ranges: slotRanges.count, into: &outcome)
                if let keysInOwnSlots, keysInOwnSlots.dbsize > keysInOwnSlots.owned {
                    outcome.importedKeys = await importedKeys(connection: connection)
                }
            }
        } catch {
            outcome.error = error
            if askTopology, outcome.topologyAnswer == nil { outcome.topologyAnswer = .failure(error) }
            // Reached but refused us, or spoke nonsense: `error`. Could not talk at all: `offline`.
            switch error.reason {
            case .auth, .noperm, .protocol, .unexpectedReply, .serverError, .loading, .tls, .tlsUntrusted, .tlsExpired,
                 .tlsHostname, .tlsClientCertificate, .tlsVersion:
                outcome.status = .error
            default: outcome.status = .offline
            }
        }
        outcome.duration = ContinuousClock.now - started
        return outcome
    }

    /// Reads `MULTI`, `DBSIZE`, the SLOT-STATS replies and `EXEC`. Returns the node's key count and the keys its
    /// own slots hold, or nil when either is unknown. Without permission for `MULTI`, the commands ran one by one
    /// and their replies are read directly.
    private func readTransaction(
        _ replies: ArraySlice<RESPToken>, ranges: Int, into outcome: inout NodeOutcome
    ) -> (dbsize: Int64, owned: Int64)? {
        let multi = replies[replies.startIndex]
        let queued = replies.dropFirst().dropLast()  // DBSIZE, then one per range
        if multi.errorMessage != nil {
            guard let dbsize = queued.first else { return nil }
            readSlotStats(queued.dropFirst(), into: &outcome)
            guard let count = dbsize.int64, let stats = outcome.slotStats else { return nil }
            return (count, stats.reduce(0) { $0 &+ $1.keyCount })
        } else if let failed = queued.first(where: { $0.errorMessage != nil }) {
            // Refused while queueing (unknown subcommand, NOPERM): EXEC aborts, the queueing error says why.
            readSlotStats([failed], into: &outcome)
            return nil
        } else if let exec = replies.last, exec.array != nil {
            return readExec(exec, ranges: ranges, into: &outcome)
        } else {
            let message = replies.last?.errorMessage ?? "EXEC reply is not an array"
            outcome.slotStatsError = ValkeyError(.unexpectedReply, "SLOT-STATS transaction: \(message)")
            return nil
        }
    }

    /// Reads EXEC's array (DBSIZE, then one SLOT-STATS reply per range) in one pass with a `RESPReader`: the
    /// replies are ~600 KB per primary, and splitting them into tokens first would walk every byte once more.
    private func readExec(_ exec: RESPToken, ranges: Int, into outcome: inout NodeOutcome) -> (dbsize: Int64, owned: Int64)? {
        exec.withReader(counterNames: SlotMetric.names) { reader -> (dbsize: Int64, owned: Int64)? in
            guard case .array(let count) = reader.next(), count == ranges + 1 else {
                let count = exec.array?.count ?? 0
                outcome.slotStatsError = ValkeyError(
                    .unexpectedReply, "SLOT-STATS transaction: \(count) replies for \(ranges + 1) commands")
                return nil
            }
            var probe = reader
            let dbsize: Int64?
            switch probe.next() {
            case .integer(let value): dbsize = value; reader = probe
            case .string(let text): dbsize = Int64(reader.string(text)); reader = probe
            default: dbsize = nil; reader.skipValue()
            }
            var stats: [SlotStat] = []
            for _ in 0..<ranges {
                guard readSlotStatsReply(&reader, appendingTo: &stats, into: &outcome) else { return nil }
            }
            outcome.slotStats = stats
            guard let dbsize else { return nil }
            return (dbsize, stats.reduce(0) { $0 &+ $1.keyCount })
        }
    }

    /// Keys in the slots this node is importing: its own `CLUSTER NODES` line lists them (no other node's does).
    /// Best effort: any failure leaves the count empty, as it was before this refinement.
    private func importedKeys(connection: ValkeyConnection) async -> [Int: Int64] {
        guard let nodes = try? await connection.pipeline([["CLUSTER", "NODES"]]).first?.string,
              let topology = try? ClusterTopology(parsingClusterNodes: nodes),
              let myself = topology.nodes.first(where: \.isMyself)
        else { return [:] }
        let slots = myself.migrations.filter { $0.direction == .importing }.map(\.slot)
        guard !slots.isEmpty,
              let counts = try? await connection.pipeline(slots.map { ["CLUSTER", "COUNTKEYSINSLOT", String($0)] })
        else { return [:] }
        var imported: [Int: Int64] = [:]
        for (slot, reply) in zip(slots, counts) {
            if let count = reply.int64, count > 0 { imported[slot] = count }
        }
        return imported
    }

    private func readSlotStats(_ replies: ArraySlice<RESPToken>, into outcome: inout NodeOutcome) {
        var stats: [SlotStat] = []
        for reply in replies {
            guard reply.withReader(counterNames: SlotMetric.names, { readSlotStatsReply(&$0, appendingTo: &stats, into: &outcome) }) else { return }
        }
        outcome.slotStats = stats
    }

    /// Reads the SLOT-STATS reply at the reader's position into `stats`. On an error reply or a shape that is not
    /// SLOT-STATS, records why in `outcome` and returns false.
    private func readSlotStatsReply(
        _ reader: inout RESPReader, appendingTo stats: inout [SlotStat], into outcome: inout NodeOutcome
    ) -> Bool {
        var probe = reader
        if case .error(let message) = probe.next() {
            recordSlotStatsError(reader.string(message), into: &outcome)
            return false
        }
        if let failure = SlotStatsReply.parse(&reader, appendingTo: &stats) {
            outcome.slotStatsError = ValkeyError(.unexpectedReply, "SLOT-STATS: \(failure.message)")
            return false
        }
        return true
    }

    private func recordSlotStatsError(_ message: String, into outcome: inout NodeOutcome) {
        if message.contains("unknown subcommand") || message.contains("unknown command") {
            outcome.slotStatsUnsupported = true
            outcome.slotStatsError = ValkeyError(.serverError, "CLUSTER SLOT-STATS is not supported by this server")
        } else {
            outcome.slotStatsError = ValkeyError.fromErrorReply(message)
        }
    }
}
