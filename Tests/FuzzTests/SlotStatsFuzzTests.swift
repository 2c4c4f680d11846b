import NIOCore
import Testing

@testable import Collector
@testable import RESP

extension FuzzTests {
    /// SLOT-STATS-shaped replies, RESP2 (flat arrays) and RESP3 (maps), with attributes sprinkled in:
    /// well-formed ones parse to exactly what was sent; mutated ones (bytes or shape) succeed or fail, never trap.
    @Test func slotStatsReplies() {
        FuzzCampaign.run("slot-stats.replies") { c, rng in
            var expected: [SlotStat] = []
            let model = Self.slotStatsReply(&rng, expected: &expected)
            let bytes = model.encoded
            c.setInput(bytes)
            var buffer = ByteBuffer(bytes: bytes)
            guard let token = try? RESPToken(validating: &buffer) else {
                c.fail("generated SLOT-STATS reply does not decode")
                return
            }
            switch SlotStatsReply.parse(token) {
            case .success(let stats): c.check(stats == expected, "parsed \(stats.prefix(3)), expected \(expected.prefix(3))")
            case .failure(let error): c.fail("well-formed reply rejected: \(error.message)")
            }

            // Byte mutations: whatever still decodes must get an answer from the parser.
            let mutated = Mutator.mutate(bytes, &rng, rounds: 1...3)
            c.setInput(mutated)
            let run = RESPDecodeHarness.decode(mutated, limits: .default, rng: &rng)
            for token in run.decoded { _ = SlotStatsReply.parse(token) }

            // Shape mutations: every field replaced by a random value of any type.
            let reshaped = Self.reshape(model, &rng)
            let reshapedBytes = reshaped.encoded
            c.setInput(reshapedBytes)
            var reshapedBuffer = ByteBuffer(bytes: reshapedBytes)
            if let token = try? RESPToken(validating: &reshapedBuffer) { _ = SlotStatsReply.parse(token) }
        }
    }

    static let metricNames = ["key-count", "cpu-usec", "network-bytes-in", "network-bytes-out", "future-metric", "key-coun"]

    static func slotStatsReply(_ rng: inout FuzzRNG, expected: inout [SlotStat]) -> RESPModel {
        let resp3 = rng.oneIn(2)
        var entries: [RESPModel] = []
        for _ in 0..<rng.int(0...6) {
            let slot = rng.pick([0, 16383, rng.int(0...16383)])
            var stat = SlotStat(slot: slot, keyCount: 0)
            var pairs: [(RESPModel, RESPModel)] = []
            // key-count is required; the rest may be absent (cluster-slot-stats-enabled no) or come in any order.
            var names = ["key-count"] + Self.metricNames.dropFirst().filter { _ in rng.oneIn(2) }
            names.shuffle(using: &rng)
            for name in names {
                let number = rng.pick([0, 1, Int64.max, Int64.min, Int64.random(in: 0...1_000_000, using: &rng)])
                switch name {
                case "key-count": stat.keyCount = number
                case "cpu-usec": stat.cpuUsec = number
                case "network-bytes-in": stat.networkBytesIn = number
                case "network-bytes-out": stat.networkBytesOut = number
                default: break
                }
                let key: RESPModel = rng.oneIn(2) ? .bulkString(Array(name.utf8)) : .simpleString(Array(name.utf8))
                pairs.append((key, Self.maybeAttributed(.integer(number, text: String(number)), &rng)))
            }
            expected.append(stat)
            let metrics: RESPModel = resp3 ? .map(pairs) : .array(pairs.flatMap { [$0.0, $0.1] })
            entries.append(Self.maybeAttributed(.array([.integer(Int64(slot), text: String(slot)), metrics]), &rng))
        }
        return Self.maybeAttributed(.array(entries), &rng)
    }

    private static func maybeAttributed(_ value: RESPModel, _ rng: inout FuzzRNG) -> RESPModel {
        rng.oneIn(10) ? .attributed([(.simpleString(Array("ttl".utf8)), .integer(3, text: "3"))], value) : value
    }

    /// Replaces nodes of the reply with random values, so the parser sees every wrong type in every position.
    static func reshape(_ model: RESPModel, _ rng: inout FuzzRNG) -> RESPModel {
        if rng.oneIn(6) { return RESPGenerator(maxDepth: 2, maxElements: 3, allowLarge: false).value(&rng) }
        switch model {
        case .array(var elements):
            if !elements.isEmpty, rng.oneIn(4) { elements.remove(at: rng.int(0...(elements.count - 1))) }
            if rng.oneIn(8) { elements.append(.integer(16384, text: "16384")) }
            return .array(elements.map { reshape($0, &rng) })
        case .map(let pairs):
            let reshaped = pairs.map { (reshape($0.0, &rng), reshape($0.1, &rng)) }
            return rng.oneIn(5) ? .array(reshaped.flatMap { [$0.0, $0.1] }) : .map(reshaped)
        case .integer:
            let number: Int64 = rng.pick([-1, 16384, .max, .min])
            return rng.oneIn(3) ? .integer(number, text: String(number)) : model
        case .attributed(let pairs, let value):
            return .attributed(pairs, reshape(value, &rng))
        default:
            return model
        }
    }
}
