// Parse benchmark: the client-side cost of one primary's collection reply (INFO, CLUSTER MYSHARDID, and the
// MULTI / DBSIZE / CLUSTER SLOT-STATS / EXEC transaction over its 5461 slots), split by phase. Prints a table;
// not a pass/fail test.
//
//   ParseBenchmark FILE [ITERATIONS] [NODES-FILE]
//
// NODES-FILE, when given, holds a CLUSTER NODES reply's text: its parse (what the topology source's collection
// adds) is timed as one more row.
//
// FILE holds the raw RESP3 bytes a real primary sent for that pipeline (Benchmarks/cycle.py captures one from
// its cluster). They are fed to the decoder in 64 KB reads into one cumulative buffer, as NIO's
// ByteToMessageHandler does, with the exporter's decoder settings, then read the way NodeCollector reads them.
import ClusterModel
import Collector
import Foundation
import NIOCore
import RESP

let arguments = CommandLine.arguments
guard arguments.count >= 2, let reply = FileManager.default.contents(atPath: arguments[1]) else {
    FileHandle.standardError.write(Data("usage: ParseBenchmark FILE [ITERATIONS] [NODES-FILE]\n".utf8))
    exit(2)
}
let iterations = arguments.count > 2 ? Int(arguments[2]) ?? 200 : 200
let bytes = [UInt8](reply)
let readSize = 65536

/// Decodes every reply in `bytes`, fed in `readSize` reads.
func decodeAll(_ bytes: [UInt8], readSize: Int) throws -> [RESPToken] {
    // As the exporter's connections decode: SLOT-STATS entries are read while they are validated.
    var decoder = RESPTokenDecoder(counterNames: SlotStatsReply.counterNames)
    var buffer = ByteBufferAllocator().buffer(capacity: readSize)
    var tokens: [RESPToken] = []
    var offset = 0
    while offset < bytes.count {
        let end = min(offset + readSize, bytes.count)
        buffer.writeBytes(bytes[offset..<end])
        offset = end
        while let token = try decoder.decode(buffer: &buffer) { tokens.append(token) }
    }
    return tokens
}

func microseconds(_ duration: Duration) -> Double {
    let (seconds, attoseconds) = duration.components
    return Double(seconds) * 1e6 + Double(attoseconds) / 1e12
}

/// Times each phase `iterations` times (locals throughout: top-level globals pay an executor check per access).
func measure(_ bytes: [UInt8], iterations: Int, readSize: Int) throws
    -> (decode: [Double], info: [Double], slots: [Double], total: [Double], checksum: Int64) {
    var decode: [Double] = [], info: [Double] = [], slots: [Double] = [], total: [Double] = []
    var checksum: Int64 = 0
    let clock = ContinuousClock()
    for _ in 0..<iterations {
        let t0 = clock.now
        let tokens = try decodeAll(bytes, readSize: readSize)
        let t1 = clock.now
        let parsedInfo = InfoReply(parsing: tokens[0].string ?? "")
        let t2 = clock.now
        // tokens: INFO, MYSHARDID, MULTI, DBSIZE (QUEUED), SLOT-STATS (QUEUED), EXEC [dbsize, slot-stats].
        // Read as NodeCollector reads EXEC: one RESPReader pass over [DBSIZE, SLOT-STATS...].
        var stats: [SlotStat] = []
        tokens[5].withReader(counterNames: SlotStatsReply.counterNames) { reader in
            guard case .array(let count) = reader.next() else { fatalError("EXEC reply is not an array") }
            reader.skipValue()  // DBSIZE
            for _ in 1..<count {
                if let failure = SlotStatsReply.parse(&reader, appendingTo: &stats) { fatalError(failure.message) }
            }
        }
        let t3 = clock.now
        checksum &+= stats.reduce(0) { $0 &+ $1.keyCount } &+ Int64(parsedInfo.fields.count)
        decode.append(microseconds(t1 - t0))
        info.append(microseconds(t2 - t1))
        slots.append(microseconds(t3 - t2))
        total.append(microseconds(t3 - t0))
    }
    return (decode, info, slots, total, checksum)
}

/// Times parsing a CLUSTER NODES text into a topology `iterations` times; returns the times and the node count.
func measureTopology(_ text: String, iterations: Int) throws -> ([Double], Int) {
    var times: [Double] = []
    var count = 0
    let clock = ContinuousClock()
    for _ in 0..<iterations {
        let t0 = clock.now
        let topology = try ClusterTopology(parsingClusterNodes: text)
        times.append(microseconds(clock.now - t0))
        count = topology.nodes.count
    }
    return (times, count)
}

let (decode, info, slots, total, checksum) = try measure(bytes, iterations: iterations, readSize: readSize)

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
print("Client-side cost of one primary's reply (\(bytes.count) bytes, \(iterations) iterations, median µs)")
print("| phase | median µs |")
print("|---|---|")
print("| decode (validate, split into replies) | \(String(format: "%.0f", median(decode))) |")
print("| INFO parse | \(String(format: "%.0f", median(info))) |")
print("| SLOT-STATS read | \(String(format: "%.0f", median(slots))) |")
print("| total | \(String(format: "%.0f", median(total))) |")
if arguments.count > 3 {
    guard let nodes = FileManager.default.contents(atPath: arguments[3]).flatMap({ String(data: $0, encoding: .utf8) }) else {
        FileHandle.standardError.write(Data("cannot read \(arguments[3])\n".utf8))
        exit(2)
    }
    let (times, count) = try measureTopology(nodes, iterations: iterations)
    print("| CLUSTER NODES parse (\(count) nodes; the topology source only) | \(String(format: "%.0f", median(times))) |")
}
print("checksum \(checksum / Int64(iterations))")
