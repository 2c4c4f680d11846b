import ClusterModel
import Foundation
import Testing

extension FuzzTests {
    static let infoFixtures: [String] = {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../ClusterModelTests/Fixtures").standardizedFileURL
        return ["info-everything-primary.txt", "info-everything-replica.txt"].compactMap {
            try? String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8)
        }
    }()

    static let numbers = [
        "0", "1", "-1", "+1", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "18446744073709551615",
        "1.5", "nan", "inf", "-inf", "1e308", "1e309", "0x10", "", " 1", "٣", "99999999999999999999999",
    ]

    /// One INFO-like line: fields, sections, keyspace lines with hostile numbers, many colons, junk.
    static func infoLine(_ rng: inout FuzzRNG) -> String {
        switch rng.int(0...9) {
        case 0: return "# " + rng.pick(["Server", "Keyspace", "Cluster Info", "", "#", " "])
        case 1, 2:
            let parts = (0..<rng.int(0...4)).map { _ in "\(rng.pick(["keys", "expires", "avg_ttl", "x", ""]))=\(rng.pick(numbers))" }
            return "db\(rng.pick(["0", "1", "15", "", "-1", "99999999999999999999", "01"])):\(parts.joined(separator: rng.pick([",", ",,", "="])))"
        case 3: return String(repeating: ":", count: rng.int(0...200))
        case 4:
            if rng.oneIn(2) { return "db\(rng.int(0...3)):keys=\(rng.pick(["9223372036854775807", "4611686018427387904", "1", "-1"]))" }
            return "\(rng.pick(["used_memory", "used_cpu_sys", "cluster_state", "maxmemory", ""])):\(rng.pick(numbers))"
        case 5: return String(decoding: rng.bytes(count: rng.int(0...40)), as: UTF8.self)
        case 6: return rng.oneIn(100) ? String(repeating: "k", count: 60_000) + ":" + String(repeating: "v=1,", count: 5_000) : "a:b:c::d"
        case 7: return rng.pick(["", " ", "\t", "\r", ":", "::", "#", "\u{FEFF}key:value", "key:value\r", "key :value", "é:\u{301}"])
        default: return "key\(rng.int(0...5)):value\(rng.pick(numbers))"
        }
    }

    /// INFO and CLUSTER INFO text, generated or mutated from real replies: never traps; fields, lookups and
    /// the keyspace agree with each other.
    @Test func infoReplies() {
        FuzzCampaign.run("info.reply") { c, rng in
            var text: String
            if rng.oneIn(8), let fixture = Self.infoFixtures.isEmpty ? nil : rng.pick(Self.infoFixtures) {
                text = String(decoding: Mutator.mutate(Array(fixture.utf8), &rng, rounds: 1...8), as: UTF8.self)
            } else {
                text = (0..<rng.int(0...12)).map { _ in Self.infoLine(&rng) }.joined(separator: rng.pick(["\r\n", "\n"]))
            }
            c.setInput(text)
            let info = InfoReply(parsing: text)
            var first: [String: String] = [:]
            for field in info.fields {
                c.check(!field.key.isEmpty && !field.key.contains(":"), "bad key '\(field.key)'")
                if first[field.key] == nil { first[field.key] = field.value }
                _ = info.int(field.key)
                _ = info.double(field.key)
                _ = info.subfields(field.key)
            }
            for (key, value) in first {
                c.check(info[key] == value, "info[\(key)] is not the first occurrence")
            }
            for name in info.sectionNames { _ = info.fields(inSection: name) }
            let keyspace = info.keyspace
            c.check(keyspace.map(\.db) == keyspace.map(\.db).sorted(), "keyspace not sorted by db")
            c.check(Set(keyspace.map(\.db)).count == keyspace.count, "a database counted twice")
            c.check(keyspace.allSatisfy { $0.keys >= 0 }, "negative key count \(keyspace.map(\.keys))")
            let total = info.totalKeys
            c.check(total >= 0, "totalKeys \(total) is negative")
            _ = InfoReply.subfields(of: text)
        }
    }

    /// `start_slot` / `end_slot` validation against a simple model of its documented rules.
    @Test func slotRangeQueries() {
        FuzzCampaign.run("slot-range-query") { c, rng in
            func value() -> String {
                switch rng.int(0...5) {
                case 0: return String(rng.int(0...16383))
                case 1: return String(repeating: "0", count: rng.int(0...6)) + String(rng.int(0...20000))
                case 2: return rng.pick(["", "+1", " 1", "1 ", "1.0", "0x1", "-0", "16384", "٣", "１", "1\u{301}", "\u{0}"])
                case 3: return String(decoding: rng.bytes(count: rng.int(0...8)), as: UTF8.self)
                case 4: return String(repeating: "9", count: rng.oneIn(20) ? 100_000 : rng.int(0...30))
                default: return String(decoding: Mutator.mutate(Array("16383".utf8), &rng), as: UTF8.self)
                }
            }
            let starts = (0..<rng.pick([0, 1, 1, 1, 2])).map { _ in value() }
            let ends = (0..<rng.pick([0, 1, 1, 1, 2])).map { _ in value() }
            c.setInput("start=\(starts) end=\(ends)")
            func model(_ values: [String], _ defaultValue: Int) -> Int? {
                guard values.count <= 1 else { return nil }
                guard let text = values.first else { return defaultValue }
                guard (1...5).contains(text.utf8.count), text.utf8.allSatisfy({ (48...57).contains($0) }),
                      let slot = Int(text), slot <= 16383 else { return nil }
                return slot
            }
            let expected = model(starts, 0).flatMap { start in model(ends, 16383).flatMap { start <= $0 ? (start, $0) : nil } }
            switch SlotRangeQuery.validate(startValues: starts, endValues: ends) {
            case .success(let query):
                c.check(expected.map { $0 == (query.start, query.end) } ?? false, "accepted \(query), model says \(String(describing: expected))")
                _ = query.slotRange
            case .failure(let error):
                c.check(expected == nil, "rejected (\(error.message)), model says \(String(describing: expected))")
                c.check([SlotRangeQuery.startParameter, SlotRangeQuery.endParameter].contains(error.parameter), "unknown parameter \(error.parameter)")
            }
        }
    }

    /// `--valkey-address` values: never traps; what parses has a host and a port in 1...65535, and prints back
    /// to text that parses to the same address.
    @Test func nodeAddresses() {
        FuzzCampaign.run("node-address") { c, rng in
            let pieces = ["[", "]", ":", "::", "::1", "127.0.0.1", "localhost", "a", "@", "/", " ", "%lo", "65535", "65536", "0",
                          "7000", "é", "\u{301}", "]\u{301}", "[\u{301}", "\r\n", "ffff", "::ffff:127.0.0.1", "1.2.3.4.5", "٣"]
            var text: String
            if rng.oneIn(3) {
                text = String(decoding: rng.bytes(count: rng.int(0...24)), as: UTF8.self)
            } else {
                text = (0..<rng.int(0...8)).map { _ in rng.pick(pieces) }.joined()
            }
            if rng.oneIn(500) { text = String(repeating: ":", count: 50_000) + "1" }
            c.setInput(text)
            do throws(NodeAddressParseError) {
                let address = try NodeAddress.parse(hostPort: text)
                c.check((1...65535).contains(address.port) && !address.host.isEmpty && !address.host.contains("@"), "accepted \(address)")
                _ = address.isLoopback
                do throws(NodeAddressParseError) {
                    let again = try NodeAddress.parse(hostPort: address.description)
                    c.check(again.host == address.host && again.port == address.port, "'\(address.description)' parses to \(again), not back to \(address)")
                } catch {
                    c.fail("'\(text)' parsed, but its description '\(address.description)' does not: \(error)")
                }
            } catch {
                c.check(!error.description.isEmpty, "error without description")
            }
            // Loopback detection on arbitrary hosts (CLUSTER NODES supplies them).
            _ = NodeAddress(host: text, port: 1).isLoopback
            _ = NodeID(text)
        }
    }

    /// Formatting of arbitrary counters from INFO: never traps.
    @Test func formattingNumbers() {
        FuzzCampaign.run("formatting") { c, rng in
            let n: Int64 = rng.pick([.min, .max, 0, -1, 1023, 1024, Int64.random(in: .min ... .max, using: &rng), Int64(rng.int(-5000...5000))])
            c.setInput(String(n))
            c.check(!Formatting.bytes(n).isEmpty, "empty bytes text")
            c.check(!Formatting.uptime(seconds: n).isEmpty, "empty uptime text")
            let seconds = Double(Int64.random(in: -100_000_000_000...100_000_000_000, using: &rng))
            c.check(Formatting.iso8601(Date(timeIntervalSince1970: seconds)).hasSuffix("Z"), "iso8601 without Z")
        }
    }
}
