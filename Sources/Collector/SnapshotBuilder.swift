import ClusterModel
import Foundation
import ValkeyConnection

/// Turns one cycle's discovery and node outcomes into an immutable snapshot, carrying forward the
/// last good sample of nodes that failed and computing rates against the previous snapshot.
struct SnapshotBuilder {
    var sequence: UInt64
    var startedAt: Date
    var duration: Duration
    var discovery: DiscoveryResult
    /// The topology to describe: this cycle's, or the last known one when discovery failed.
    var topology: ClusterTopology?
    var outcomes: [NodeAddress: NodeOutcome]
    var previous: ClusterSnapshot?
    var slotStatsRequested: Bool

    func build() -> ClusterSnapshot {
        let previousByIdentity = Dictionary(
            (previous?.nodes ?? []).map { ($0.identity, $0) }, uniquingKeysWith: { first, _ in first })
        var nodes: [NodeState] = []
        switch discovery.mode {
        case .standalone:
            if let source = discovery.source {
                nodes.append(state(id: nil, address: source, clusterNode: nil, previous: previousByIdentity))
            }
        case .cluster, .unreachable:
            for clusterNode in topology?.nodes ?? [] where !clusterNode.isHandshake {
                let address = clusterNode.isConnectable ? clusterNode.address : nil
                nodes.append(state(id: clusterNode.id, address: address, clusterNode: clusterNode, previous: previousByIdentity))
            }
        }
        nodes.sort(by: Self.displayOrder)
        var discoveryErrors = previous?.discoveryErrorsTotal ?? [:]
        if let error = discovery.error { discoveryErrors[error.reason.rawValue, default: 0] += 1 }
        var snapshot = ClusterSnapshot(
            sequence: sequence, startedAt: startedAt, finishedAt: startedAt.addingTimeInterval(duration.seconds),
            duration: duration, mode: discovery.mode, topology: topology, topologySource: discovery.source,
            clusterInfo: discovery.clusterInfo, discoveryError: discovery.error, nodes: nodes,
            slotStats: slotTable())
        snapshot.discoveryErrorsTotal = discoveryErrors
        return snapshot
    }

    private func state(
        id: NodeID?, address: NodeAddress?, clusterNode: ClusterNode?, previous: [String: NodeState]
    ) -> NodeState {
        var node = NodeState(id: id, address: address, clusterNode: clusterNode, status: .offline)
        let before = previous[node.identity]
        if let address, let outcome = outcomes[address.endpoint] {
            node.status = outcome.status
            node.error = outcome.error
            node.collectionDuration = outcome.duration
            node.slotStatsError = outcome.slotStatsError
            node.sample = outcome.sample
            node.shardID = outcome.shardID
            node.collectionsTotal = (before?.collectionsTotal ?? 0) + 1
            node.errorsTotal = before?.errorsTotal ?? [:]
            if let error = outcome.error { node.errorsTotal[error.reason.rawValue, default: 0] += 1 }
            if let error = outcome.slotStatsError, !outcome.slotStatsUnsupported {
                node.errorsTotal[error.reason.rawValue, default: 0] += 1
            }
        } else if address == nil {
            node.collectionsTotal = before?.collectionsTotal ?? 0
            node.errorsTotal = before?.errorsTotal ?? [:]
            node.error = ValkeyError(.unreachable, "the cluster has no address for this node")
        } else {
            node.error = discovery.error ?? ValkeyError(.unreachable, "not collected this cycle")
            node.collectionsTotal = before?.collectionsTotal ?? 0
            node.errorsTotal = before?.errorsTotal ?? [:]
        }
        if node.shardID == nil { node.shardID = before?.shardID }
        if let sample = node.sample {
            node.cpuPercent = Self.cpuPercent(from: before?.sample, to: sample)
        } else {
            // Keep the last good values, marked by their own collection time.
            node.sample = before?.sample
            node.cpuPercent = before?.cpuPercent
        }
        return node
    }

    /// CPU percent of one core between two samples of the same server process, by the server's own clock.
    static func cpuPercent(from old: NodeSample?, to new: NodeSample) -> Double? {
        guard let old, old.info["run_id"] == new.info["run_id"],
              let cpu0 = old.cpuSeconds, let cpu1 = new.cpuSeconds,
              let t0 = old.serverTimeMicros, let t1 = new.serverTimeMicros, t1 > t0, cpu1 >= cpu0
        else { return nil }
        let percent = (cpu1 - cpu0) / (Double(t1 - t0) / 1_000_000) * 100
        return (percent * 10).rounded() / 10
    }

    private func slotTable() -> SlotStatsTable {
        guard discovery.mode == .cluster, let topology else {
            return SlotStatsTable(availability: discovery.mode == .standalone ? .notCluster : .unavailable)
        }
        var table = SlotStatsTable(availability: .unavailable)
        guard slotStatsRequested else { return table }
        var sawUnsupported = false
        var sawKeysOnly = false
        var sawFull = false
        for primary in topology.primaries {
            guard let address = primary.address, let outcome = outcomes[address.endpoint] else { continue }
            if outcome.slotStatsUnsupported { sawUnsupported = true }
            guard let stats = outcome.slotStats, let index = topology.index(of: primary.id) else { continue }
            // Counted once: only the owner in this cycle's topology speaks for a slot; an importing
            // node's or stale owner's view of it is ignored.
            var allOwned = true
            for stat in stats {
                guard topology.servesSlot(stat.slot, nodeAt: index) else {
                    allOwned = false
                    continue
                }
                if stat.hasResourceCounters { sawFull = true } else { sawKeysOnly = true }
            }
            // All owned (the usual case): the table keeps the reply's own array, no entry is copied.
            table.record(allOwned ? stats : stats.filter { topology.servesSlot($0.slot, nodeAt: index) }, owner: primary.id)
        }
        // Keys a primary already received for a slot it imports are in no owner's SLOT-STATS until the
        // migration ends; adding them keeps the slot total equal to the keys in the cluster.
        for primary in topology.primaries {
            guard let address = primary.address, let outcome = outcomes[address.endpoint] else { continue }
            for (slot, count) in outcome.importedKeys where table.owner(ofSlot: slot) != nil && table.owner(ofSlot: slot) != primary.id {
                table.addImportedKeys(count, toSlot: slot)
            }
        }
        if sawKeysOnly { table.availability = .keysOnly } else if sawFull { table.availability = .full } else if sawUnsupported { table.availability = .unsupported }
        return table
    }

    /// Primaries first, then replicas, then others; by address within each group.
    static func displayOrder(_ a: NodeState, _ b: NodeState) -> Bool {
        func rank(_ role: NodeRole) -> Int { role == .primary ? 0 : role == .replica ? 1 : 2 }
        if rank(a.role) != rank(b.role) { return rank(a.role) < rank(b.role) }
        let left = a.address.map { ($0.host, $0.port) } ?? ("~", 0)
        let right = b.address.map { ($0.host, $0.port) } ?? ("~", 0)
        if left != right { return left < right }
        return a.identity < b.identity
    }
}

extension Duration {
    /// The duration in seconds as a `Double`.
    public var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
