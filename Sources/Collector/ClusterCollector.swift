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
    public func runCycle() async -> ClusterSnapshot {
        let startedAt = Date()
        let started = ContinuousClock.now
        let previous = store.latest
        let discovery = await Discovery(pool: pool, logger: logger).discover(candidates: candidates(previous: previous))
        let topology = discovery.topology ?? (discovery.mode == .unreachable ? previous?.topology : nil)

        var plan: [(NodeAddress, [SlotRange], Bool)] = []
        switch discovery.mode {
        case .standalone:
            if let source = discovery.source { plan.append((source.endpoint, [], false)) }
        case .cluster:
            for node in topology?.nodes ?? [] where node.isConnectable {
                guard let address = node.address else { continue }
                let slotStats = configuration.collectSlotStats && node.role == .primary
                plan.append((address.endpoint, slotStats ? node.slots : [], slotStats))
            }
        case .unreachable:
            break  // discovery already found every candidate down; do not wait on each again
        }

        let collector = NodeCollector(pool: pool)
        let outcomes = await withTaskGroup(of: NodeOutcome.self, returning: [NodeAddress: NodeOutcome].self) { group in
            for (address, ranges, slotStats) in plan {
                group.addTask {
                    await collector.collect(address, clusterMode: discovery.mode == .cluster, slotStats: slotStats, slotRanges: ranges)
                }
            }
            var results: [NodeAddress: NodeOutcome] = [:]
            for await outcome in group { results[outcome.address] = outcome }
            return results
        }
        if discovery.mode != .unreachable {
            var keep = Set(plan.map(\.0))
            keep.formUnion(configuration.seeds.map(\.endpoint))
            await pool.retain(only: keep)
        }
        let builder = SnapshotBuilder(
            sequence: (previous?.sequence ?? 0) + 1, startedAt: startedAt, duration: ContinuousClock.now - started,
            discovery: discovery, topology: topology, outcomes: outcomes, previous: previous,
            slotStatsRequested: configuration.collectSlotStats)
        return builder.build()
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
