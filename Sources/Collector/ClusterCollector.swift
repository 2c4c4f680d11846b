import ClusterModel
import Foundation
import Logging
import ServiceLifecycle
import ValkeyConnection

/// The scheduled service: every interval, discover the cluster, collect every node in parallel, and
/// publish one snapshot to the store.
public final class ClusterCollector: Service, Sendable {
    public let store: SnapshotStore
    private let configuration: CollectorConfiguration
    private let pool: ConnectionPool
    private let logger: Logger
    private let onSnapshot: @Sendable (ClusterSnapshot) -> Void

    /// - Parameter onSnapshot: called with each snapshot just before it is published (the exposition
    ///   renders its bytes there, once per cycle).
    public init(
        configuration: CollectorConfiguration, store: SnapshotStore, logger: Logger,
        onSnapshot: @escaping @Sendable (ClusterSnapshot) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.store = store
        self.logger = logger
        self.onSnapshot = onSnapshot
        self.pool = ConnectionPool(
            configuration: configuration.connection, authBackoff: .forInterval(configuration.interval), logger: logger)
    }

    /// Runs cycles until graceful shutdown or cancellation, then closes every connection.
    public func run() async throws {
        let clock = ContinuousClock()
        var next = clock.now
        var unreachableCycles = 0
        let backoff = Backoff.forInterval(configuration.interval)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            // Shutdown cancels a cycle in flight rather than waiting for a hung node's deadline; the
            // partial snapshot of a cancelled cycle is dropped.
            let snapshot = await cancelWhenGracefulShutdown { await self.runCycle() }
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            // Render first, publish second: once /readyz says ready, /metrics has bytes for the same cycle.
            onSnapshot(snapshot)
            store.publish(snapshot)
            logCycle(snapshot)
            next = next.advanced(by: configuration.interval)
            // A cycle that overran its slot starts the next one at once instead of piling up.
            if next < clock.now { next = clock.now }
            // Nobody answered: retry with capped exponential backoff and jitter instead of every interval.
            unreachableCycles = snapshot.mode == .unreachable ? unreachableCycles + 1 : 0
            if unreachableCycles > 0 {
                next = max(next, clock.now + backoff.delay(afterFailures: unreachableCycles))
            }
            let wakeUp = next
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(until: wakeUp, clock: clock) }
            } catch {
                break
            }
        }
        await pool.closeAll()
        logger.info("collector stopped; connections closed")
    }

    /// Uses `password` for connections opened from now on; open connections are kept.
    public func updatePassword(_ password: Secret?) async {
        await pool.updatePassword(password)
    }

    /// Runs one full cycle and returns its snapshot without publishing it.
    ///
    /// With last cycle's topology known, the cycle is one phase: every node of that topology is collected at once,
    /// and its topology source is asked for `CLUSTER NODES` in the same pipeline. Nodes that the topology found now
    /// would collect differently (new, gone, promoted, other slots) are then collected again, or dropped, so the
    /// snapshot always matches the topology of its own cycle. Without one (the first cycle, after the source fails,
    /// standalone servers), discovery comes first.
    public func runCycle() async -> ClusterSnapshot {
        let startedAt = Date()
        let started = ContinuousClock.now
        let previous = store.latest
        var outcomes: [NodeAddress: NodeOutcome] = [:]
        var collectedAs: [NodeAddress: PlannedNode] = [:]
        var discovery: DiscoveryResult?
        if let speculative = speculativePlan(previous: previous) {
            let answered = await collect(speculative.nodes, askingTopologyOf: speculative.source)
            outcomes = answered.outcomes
            for node in speculative.nodes { collectedAs[node.address] = node }
            if case .success(let result)? = answered.topology { discovery = result }
        }
        let discovered: DiscoveryResult
        if let discovery {
            discovered = discovery
        } else {
            // The source did not answer with a topology: the others are asked, hedged, as on the first cycle.
            let skipped = previous?.topologySource?.endpoint
            var asked = candidates(previous: previous)
            if !outcomes.isEmpty, let skipped, asked.count > 1 { asked.removeAll { $0 == skipped } }
            discovered = await Discovery(pool: pool, logger: logger).discover(candidates: asked)
        }
        let topology = discovered.topology ?? (discovered.mode == .unreachable ? previous?.topology : nil)
        let plan = self.plan(discovered, topology: topology)

        // Keep what was collected exactly as the plan says; collect the rest; drop nodes no longer planned.
        let planned = Set(plan.map(\.address))
        outcomes = outcomes.filter { planned.contains($0.key) }
        // A node that already failed this cycle (hung, refused, wrong password) keeps that failure whatever its new
        // plan: asking again would cost a second deadline in the same cycle for an answer that has no data either way.
        let missing = plan.filter { node in
            guard let outcome = outcomes[node.address] else { return true }
            if outcome.sample == nil, outcome.slotStats == nil { return false }
            return collectedAs[node.address] != node
        }
        if !missing.isEmpty {
            outcomes.merge(await collect(missing, askingTopologyOf: nil).outcomes) { _, fresh in fresh }
        }
        if discovered.mode != .unreachable {
            var keep = planned
            keep.formUnion(configuration.seeds.map(\.endpoint))
            await pool.retain(only: keep)
        }
        let builder = SnapshotBuilder(
            sequence: (previous?.sequence ?? 0) + 1, startedAt: startedAt, duration: ContinuousClock.now - started,
            discovery: discovered, topology: topology, outcomes: outcomes, previous: previous,
            slotStatsRequested: configuration.collectSlotStats)
        return builder.build()
    }

    /// How one node is collected in a cycle; two equal plans ask the same commands of the same node.
    struct PlannedNode: Hashable, Sendable {
        var address: NodeAddress
        var clusterMode: Bool
        var slotStats: Bool
        var slotRanges: [SlotRange]
    }

    /// Every node to collect, as `discovery` and `topology` say.
    private func plan(_ discovery: DiscoveryResult, topology: ClusterTopology?) -> [PlannedNode] {
        switch discovery.mode {
        case .standalone:
            guard let source = discovery.source else { return [] }
            return [PlannedNode(address: source.endpoint, clusterMode: false, slotStats: false, slotRanges: [])]
        case .cluster:
            return (topology?.nodes ?? []).compactMap { node in
                guard node.isConnectable, let address = node.address else { return nil }
                let slotStats = configuration.collectSlotStats && node.role == .primary
                return PlannedNode(
                    address: address.endpoint, clusterMode: true, slotStats: slotStats, slotRanges: slotStats ? node.slots : [])
            }
        case .unreachable:
            return []  // discovery already found every candidate down; do not wait on each again
        }
    }

    /// Last cycle's plan and the node of it to ask for the topology, when last cycle found a cluster through one
    /// of its own nodes. A seed that is not a node's announced address gets the first cycle's two phases instead.
    private func speculativePlan(previous: ClusterSnapshot?) -> (nodes: [PlannedNode], source: NodeAddress)? {
        guard let previous, previous.mode == .cluster, let topology = previous.topology,
              let source = previous.topologySource?.endpoint
        else { return nil }
        let nodes = plan(DiscoveryResult(mode: .cluster, topology: topology, source: source), topology: topology)
        guard nodes.contains(where: { $0.address == source }) else { return nil }
        return (nodes, source)
    }

    /// Collects `nodes` in parallel; the one at `source` is asked for the topology in the same pipeline.
    private func collect(
        _ nodes: [PlannedNode], askingTopologyOf source: NodeAddress?
    ) async -> (outcomes: [NodeAddress: NodeOutcome], topology: Result<DiscoveryResult, ValkeyError>?) {
        let collector = NodeCollector(pool: pool)
        return await withTaskGroup(of: NodeOutcome.self) { group in
            for node in nodes {
                group.addTask {
                    await collector.collect(
                        node.address, clusterMode: node.clusterMode, slotStats: node.slotStats, slotRanges: node.slotRanges,
                        askTopology: node.address == source)
                }
            }
            var results: [NodeAddress: NodeOutcome] = [:]
            var topology: Result<DiscoveryResult, ValkeyError>?
            for await outcome in group {
                if let answer = outcome.topologyAnswer { topology = answer }
                results[outcome.address] = outcome
            }
            return (results, topology)
        }
    }

    /// Where to ask for the topology: the last node that answered, then the seeds, then every other known
    /// node; nodes that failed last cycle after all of those.
    private func candidates(previous: ClusterSnapshot?) -> [NodeAddress] {
        var ordered: [NodeAddress] = []
        var seen = Set<NodeAddress>()
        func add(_ address: NodeAddress?) {
            guard let address = address?.endpoint, seen.insert(address).inserted else { return }
            ordered.append(address)
        }
        add(previous?.topologySource)
        configuration.seeds.forEach(add)
        for node in previous?.topology?.nodes ?? [] where node.isConnectable { add(node.address) }
        // Nodes that failed last cycle go last: a hung node would cost a full command timeout before
        // discovery moved on, every cycle.
        let failed = Set((previous?.nodes ?? []).filter { $0.status != .online }.compactMap { $0.address?.endpoint })
        return ordered.filter { !failed.contains($0) } + ordered.filter { failed.contains($0) }
    }

    private func logCycle(_ snapshot: ClusterSnapshot) {
        let failed = snapshot.nodes.filter { $0.status != .online }
        var metadata: Logger.Metadata = [
            "cycle": "\(snapshot.sequence)", "mode": "\(snapshot.mode.rawValue)",
            "nodes": "\(snapshot.nodes.count)", "failed": "\(failed.count)",
            "duration_ms": "\((snapshot.duration.seconds * 1_000_000).rounded() / 1000)",
        ]
        if let error = snapshot.discoveryError, snapshot.mode == .unreachable {
            metadata["reason"] = "\(error.reason)"
            logger.warning("cluster unreachable", metadata: metadata)
            return
        }
        logger.debug("collection cycle finished", metadata: metadata)
        for node in failed {
            logger.debug("node not collected", metadata: [
                "node": "\(node.address?.description ?? node.id?.rawValue ?? "?")",
                "status": "\(node.status.rawValue)", "reason": "\(node.error?.reason.rawValue ?? "")",
            ])
        }
    }
}
