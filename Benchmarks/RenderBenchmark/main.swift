// Render benchmark: time and bytes to render the /metrics exposition of a 6-node snapshot with all
// 16384 slots, in both formats, plus gzip. Prints a table; not a pass/fail test.
//
// Run by `make bench` (release build), as the first section of its report. The snapshot is synthetic but shaped like the live
// cluster's: 3 primaries x 5461 slots with all four SLOT-STATS counters, full INFO replies.
import ClusterModel
import Collector
import CompressNIO
import Exposition
import Foundation
import NIOCore

func makeSnapshot() throws -> ClusterSnapshot {
    let ids = (0..<6).map { String(format: "%040x", 0xabc000 + $0) }
    let ranges = ["0-5460", "5461-10922", "10923-16383"]
    var lines: [String] = []
    for i in 0..<3 { lines.append("\(ids[i]) 127.0.0.1:\(7000 + i)@\(17000 + i) master - 0 0 \(i + 1) connected \(ranges[i])") }
    for i in 3..<6 { lines.append("\(ids[i]) 127.0.0.1:\(7000 + i)@\(17000 + i) slave \(ids[i - 3]) 0 0 \(i - 2) connected") }
    let topology = try ClusterTopology(parsingClusterNodes: lines.joined(separator: "\n") + "\n")
    let infoText = try String(contentsOfFile: "Tests/ClusterModelTests/Fixtures/info-everything-primary.txt", encoding: .utf8)
    let info = InfoReply(parsing: infoText)
    let nodes = topology.nodes.map { node in
        NodeState(id: node.id, address: node.address, clusterNode: node, status: .online,
                  sample: NodeSample(collectedAt: Date(), info: info), cpuPercent: 1, collectionDuration: .milliseconds(3))
    }
    var table = SlotStatsTable(availability: .full)
    for slot in 0..<16384 {
        let owner = topology.owner(ofSlot: slot)!.id
        table.record(SlotStat(slot: slot, keyCount: Int64(slot % 7), cpuUsec: Int64(slot * 13), networkBytesIn: Int64(slot * 31),
                              networkBytesOut: Int64(slot * 57)), owner: owner)
    }
    return ClusterSnapshot(sequence: 1, startedAt: Date(), finishedAt: Date(), duration: .milliseconds(16), mode: .cluster,
                           topology: topology, topologySource: topology.nodes[0].address,
                           clusterInfo: InfoReply(parsing: infoText), discoveryError: nil, nodes: nodes, slotStats: table)
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

let snapshot = try makeSnapshot()
let renderer = MetricsRenderer(version: "bench")
let iterations = 30
print("render of a 6-node snapshot, all 16384 slots (\(iterations) runs each, median)")
// One render serves both formats (RenderedExposition); each format is then compressed on its own.
var renderTimes: [Double] = []
var exposition = renderer.render(snapshot)
for _ in 0..<iterations {
    let start = ContinuousClock.now
    exposition = renderer.render(snapshot)
    renderTimes.append((ContinuousClock.now - start).seconds * 1000)
}
print(String(format: "render (both formats, one pass): %.2f ms, %d samples", median(renderTimes), exposition.samples))
print("format         bytes   segments   gzip bytes   gzip ms")
for format in ExpositionFormat.allCases {
    var gzipTimes: [Double] = []
    var gzipBytes = 0
    for _ in 0..<iterations {
        let gzipStart = ContinuousClock.now
        let compressed = try exposition.compressed(format, with: ExpositionStore.gzip)
        gzipTimes.append((ContinuousClock.now - gzipStart).seconds * 1000)
        gzipBytes = compressed.readableBytes
    }
    let segments = exposition.segments(format)
    let bytes = segments.reduce(0) { $0 + $1.readableBytes }
    let name = format == .prometheus ? "text 0.0.4" : "openmetrics"
    print(String(format: "%-12@ %9d %10d %12d %9.2f", name as NSString, bytes, segments.count, gzipBytes, median(gzipTimes)))
}
var times: [Double] = []
let store = ExpositionStore(renderer: renderer)
for _ in 0..<10 {
    let start = ContinuousClock.now
    store.update(snapshot)
    times.append((ContinuousClock.now - start).seconds * 1000)
}
print(String(format: "per-cycle cost (one render, both formats gzipped): %.2f ms median of 10", median(times)))
