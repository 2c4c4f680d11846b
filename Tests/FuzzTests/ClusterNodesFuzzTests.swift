import ClusterModel
import Foundation
import Testing

/// Seed inputs: every `CLUSTER NODES` line shape in shared/reference/README.md, and the captured fixtures.
enum ClusterNodesCorpus {
    static let referenceLines = [
        "b897b6a6954bb471cb17532e870eaf0f95297f4e 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460",
        "fc857912d0adb5ee0a7bdd9e3355af4256daa218 127.0.0.1:7004@17004 slave b897b6a6954bb471cb17532e870eaf0f95297f4e 0 1795385264143 1 connected",
        "be155b5f2d3968d99a2e135c24b8efaf6f2a14bb 127.0.0.1:7001@17001,node-7001.example.test master - 0 1795385375095 2 connected 5461-10922",
        "a19ca0b997a0620497cbbe1f805e5aa00c8db705 127.0.0.1:7005@17005 slave,nofailover be155b5f2d3968d99a2e135c24b8efaf6f2a14bb 0 1795385375095 2 connected",
        "b897b6a6954bb471cb17532e870eaf0f95297f4e 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460 [100->-be155b5f2d3968d99a2e135c24b8efaf6f2a14bb]",
        "be155b5f2d3968d99a2e135c24b8efaf6f2a14bb 127.0.0.1:7001@17001 myself,master - 0 0 2 connected 5461-10922 [100-<-b897b6a6954bb471cb17532e870eaf0f95297f4e] [200-<-b897b6a6954bb471cb17532e870eaf0f95297f4e]",
        "5214734ec359577079d8e6a3de9a171033d22a61 127.0.0.1:7999@17999 handshake - 0 0 0 disconnected",
        "7a3da3018911828288ae05b5d7cde4f2bbf045b4 127.0.0.1:7002@17002 master,fail - 1795385399074 1795385398067 8 connected",
        "a19ca0b997a0620497cbbe1f805e5aa00c8db705 :0@0 slave,fail,noaddr,nofailover be155b5f2d3968d99a2e135c24b8efaf6f2a14bb 1795385419134 1795385418121 7 disconnected",
        "da254f7cd84c169fc6daade35e6a4ca271fd1e78 127.0.0.1:7006@27006 master - 0 1795385431000 0 connected",
        "665351983ca7ae80330d31a4f3ea391d84449b67 ::1:7100@17100 myself,master - 0 0 1 connected 0-5460",
        "752d150249c157c7cb312b6b056517bbbecb42d2 :0@0 master,noaddr - 1658754833817 1658754833000 3 disconnected 5461-10922",
        "e839a12fbed631de867016f636d773e644562e72 127.0.0.0:6379 myself,master - 0 1658755601000 1 connected 0-5460",
        "e839a12fbed631de867016f636d773e644562e72 [::1]:6379@16379,,shard-id=abc myself,master - 0 0 1 connected 0 16383",
    ]

    /// The fixture replies, read from the ClusterModelTests sources (a fresh clone has them; an odd layout just loses them).
    static let fixtureReplies: [String] = {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../ClusterModelTests/Fixtures").standardizedFileURL
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasPrefix("cluster-nodes") }.sorted().compactMap {
            try? String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8)
        }
    }()

    static let lines: [String] = referenceLines + fixtureReplies.flatMap { $0.split(separator: "\n").map(String.init) }

    /// Field-sized replacements that sit on the edges of what the parser accepts.
    static let fieldVocabulary = [
        "-", "0", "1", "16383", "16384", "-1", "0-16383", "16383-0", "5-3", "1-", "-5", "1--2", "0-0", "99999999999999999999",
        "9223372036854775807", "9223372036854775808", "18446744073709551615", "18446744073709551616", "[1->-]", "[16384->-x]",
        "[5-<-b897b6a6954bb471cb17532e870eaf0f95297f4e]", "[->-b897b6a6954bb471cb17532e870eaf0f95297f4e]", "[", "]", "[]",
        "[1->-b897b6a6954bb471cb17532e870eaf0f95297f4e", "b897b6a6954bb471cb17532e870eaf0f95297f4e",
        "B897B6A6954BB471CB17532E870EAF0F95297F4E", "b897b6a6954bb471cb17532e870eaf0f95297f4", "b897b6a6954bb471cb17532e870eaf0f95297f4e0",
        ":0@0", ":0", "@", ":", "::", "[::1]:7000@17000", "[::1]7000", "host:65536@1", "host:1@65536", "host:1@", "host:@1",
        "1.2.3.4:7000@17000,", "1.2.3.4:7000@17000,,", "1.2.3.4:7000@17000,a=b,c", "[]:1", "[:1", "]:1", "a@b:1@2",
        "myself,master", "master,", ",master", ",,", "noflags", "slave", "handshake", "connected", "disconnected",
        "connecte", "٣", "１２", "é", "\u{301}", "\0", "0\u{301}",
    ]
    static let separators = [" ", " ", " ", "  ", "\t", "\u{A0}", "\u{2028}", "\r", "\u{85}", "\r\n"]
}

extension FuzzTests {
    /// Mutated single lines: parse or throw `ClusterNodesParseError` naming the given line, and a parsed node
    /// obeys every documented invariant.
    @Test func clusterNodesLines() {
        FuzzCampaign.run("cluster-nodes.line") { c, rng in
            let line = Self.mutatedLine(&rng)
            c.setInput(line)
            let lineNumber = rng.int(1...1000)
            do throws(ClusterNodesParseError) {
                let node = try ClusterNode(parsingClusterNodesLine: line, lineNumber: lineNumber)
                if let problem = Self.nodeProblem(node) { c.fail(problem) }
            } catch {
                c.check(error.line == lineNumber, "error names line \(error.line), expected \(lineNumber)")
                c.check(!error.reason.isEmpty && !error.description.isEmpty, "error without a reason")
            }
        }
    }

    /// Whole replies of mutated, reference and synthesised lines: parse or throw; a parsed topology has unique
    /// ids, at most one owner per slot, and an owner table that agrees with the nodes' slot lists.
    @Test func clusterNodesReplies() {
        // Half the iterations: each one checks all 16384 slots of the owner table, the slowest check here.
        FuzzCampaign.run("cluster-nodes.reply", iterations: max(1, FuzzConfig.iterations / 2)) { c, rng in
            let synthesised = rng.oneIn(3)
            var lines: [String] = []
            var expectedNodes = 0
            if synthesised {
                lines = Self.validTopologyLines(&rng)
                expectedNodes = lines.count
                if rng.oneIn(3) {
                    let index = rng.int(0...(lines.count - 1))
                    lines[index] = Self.mutate(lines[index], &rng)
                    expectedNodes = -1
                }
            } else {
                for _ in 0..<rng.int(0...8) {
                    lines.append(rng.oneIn(3) ? rng.pick(ClusterNodesCorpus.lines) : Self.mutatedLine(&rng))
                }
            }
            var text = lines.joined(separator: rng.pick(["\n", "\r\n"]))
            if rng.oneIn(2) { text += rng.pick(["\n", "\r\n", "\n\n", "\n \n", " ", "\r"]) }
            if !synthesised, rng.oneIn(10) { text = Self.mutate(text, &rng) }
            if !synthesised, rng.oneIn(20) { text = rng.pick(ClusterNodesCorpus.fixtureReplies + [""]) }
            c.setInput(text)
            do throws(ClusterNodesParseError) {
                let topology = try ClusterTopology(parsingClusterNodes: text)
                if expectedNodes > 0 { c.check(topology.nodes.count == expectedNodes, "synthesised \(expectedNodes) nodes, parsed \(topology.nodes.count)") }
                if let problem = Self.topologyProblem(topology) { c.fail(problem) }
            } catch {
                c.check(expectedNodes <= 0, "a synthesised valid reply was rejected: \(error)")
                c.check(error.line >= 1 && error.line <= max(1, text.count + 1), "error line \(error.line) out of range")
            }
        }
    }

    // MARK: - Generators

    static func mutatedLine(_ rng: inout FuzzRNG) -> String {
        mutate(rng.pick(ClusterNodesCorpus.lines), &rng)
    }

    /// Field-level edits (drop, duplicate, swap, replace, odd separators) and byte-level ones (as invalid UTF-8 too).
    static func mutate(_ line: String, _ rng: inout FuzzRNG) -> String {
        var fields = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        for _ in 0..<rng.int(1...3) {
            let index = rng.int(0...max(0, fields.count - 1))
            switch rng.int(0...7) {
            case 0 where !fields.isEmpty: fields.remove(at: index)
            case 1 where !fields.isEmpty: fields.insert(fields[index], at: rng.int(0...fields.count))
            case 2 where !fields.isEmpty: fields.swapAt(index, rng.int(0...(fields.count - 1)))
            case 3 where !fields.isEmpty: fields[index] = rng.pick(ClusterNodesCorpus.fieldVocabulary)
            case 4: fields.append(contentsOf: (0..<rng.int(1...50)).map { _ in Self.slotToken(&rng) })
            case 5 where !fields.isEmpty:
                var scalars = Array(fields[index].unicodeScalars)
                if !scalars.isEmpty { scalars.remove(at: rng.int(0...(scalars.count - 1))) }
                scalars.insert(rng.pick(Array("0123456789abcdef-,:@[]<>é\u{301}\r\n".unicodeScalars)), at: rng.int(0...scalars.count))
                fields[index] = String(String.UnicodeScalarView(scalars))
            case 6:
                // Bytes, then back through String(decoding:), which turns invalid UTF-8 into U+FFFD.
                let mutated = Mutator.mutate(Array(fields.joined(separator: " ").utf8), &rng, rounds: 1...2)
                fields = String(decoding: mutated, as: UTF8.self).split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            default: break
            }
        }
        var out = ""
        for (index, field) in fields.enumerated() {
            if index > 0 { out += rng.oneIn(8) ? rng.pick(ClusterNodesCorpus.separators) : " " }
            out += field
        }
        return out
    }

    static func slotToken(_ rng: inout FuzzRNG) -> String {
        let a = rng.int(0...16383)
        let b = rng.int(0...16383)
        switch rng.int(0...3) {
        case 0: return "\(a)"
        case 1: return "\(min(a, b))-\(max(a, b))"
        case 2: return "\(a)-\(b)"
        default: return "[\(a)\(rng.oneIn(2) ? "->-" : "-<-")\(Self.randomID(&rng))]"
        }
    }

    static func randomID(_ rng: inout FuzzRNG) -> String {
        String((0..<40).map { _ in rng.pick(Array("0123456789abcdef")) })
    }

    /// A well-formed reply: primaries with disjoint slot ranges (gaps allowed), replicas, odd but valid fields.
    static func validTopologyLines(_ rng: inout FuzzRNG) -> [String] {
        let primaries = rng.int(1...6)
        var cuts = Set<Int>()
        for _ in 0..<rng.int(0...(primaries * 3)) { cuts.insert(rng.int(0...16384)) }
        let bounds = [0] + cuts.sorted().filter { $0 > 0 && $0 < 16384 } + [16384]
        var owned: [[String]] = Array(repeating: [], count: primaries)
        for index in 0..<(bounds.count - 1) where !rng.oneIn(5) {
            let lower = bounds[index], upper = bounds[index + 1] - 1
            owned[rng.int(0...(primaries - 1))].append(lower == upper && rng.oneIn(2) ? "\(lower)" : "\(lower)-\(upper)")
        }
        var ids = Set<String>()
        while ids.count < primaries * 2 { ids.insert(randomID(&rng)) }
        let allIDs = Array(ids)
        var lines: [String] = []
        for index in 0..<primaries {
            let flags = index == 0 ? "myself,master" : rng.pick(["master", "master,fail?", "master,fail", "master,nofailover"])
            let address = rng.pick(["127.0.0.1:\(7000 + index)@\(17000 + index)", "::1:\(7000 + index)@\(17000 + index)",
                                    ":0@0", "10.0.0.\(index):6379", "h:\(index + 1)@1,host-\(index).example"])
            var slots = owned[index]
            slots.shuffle(using: &rng)
            let migration = index == 0 && rng.oneIn(4) ? ["[\(rng.int(0...16383))->-\(allIDs[1])]"] : []
            lines.append(([allIDs[index], address, flags, "-", "0", String(rng.int(0...Int.max)), String(index), rng.pick(["connected", "disconnected"])] + slots + migration).joined(separator: " "))
            if rng.oneIn(2) {
                let replica = allIDs[primaries + index]
                lines.append("\(replica) 127.0.0.1:\(8000 + index)@\(18000 + index) slave\(rng.oneIn(3) ? ",nofailover" : "") \(allIDs[index]) 0 0 \(index) connected")
            }
        }
        lines.shuffle(using: &rng)
        return lines
    }

    // MARK: - Invariants

    static func isNodeID(_ text: String) -> Bool {
        text.utf8.count == 40 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    static func nodeProblem(_ node: ClusterNode) -> String? {
        guard isNodeID(node.id.rawValue) else { return "node id '\(node.id)' is not 40 lowercase hex" }
        if let primary = node.primaryID, !isNodeID(primary.rawValue) { return "primary id '\(primary)' is not 40 lowercase hex" }
        if node.slots != node.slots.sorted() { return "slots not sorted: \(node.slots)" }
        for range in node.slots where !(0...16383).contains(range.lowerBound) || !(0...16383).contains(range.upperBound) || range.lowerBound > range.upperBound {
            return "invalid slot range \(range)"
        }
        for migration in node.migrations where !(0...16383).contains(migration.slot) || !isNodeID(migration.peer.rawValue) {
            return "invalid migration \(migration)"
        }
        if let address = node.address {
            guard (1...65535).contains(address.port), !address.host.isEmpty else { return "unconnectable address \(address) kept" }
            if let bus = address.busPort, !(0...65535).contains(bus) { return "bus port \(bus) out of range" }
            if address.host.contains(where: { $0 == "@" || $0 == "[" || $0 == "]" }) { return "malformed host '\(address.host)'" }
            _ = address.description
            _ = address.isLoopback
        }
        if node.flags.contains(where: \.isEmpty) { return "empty flag in \(node.flags)" }
        _ = (node.role, node.isMyself, node.isFailed, node.isConnectable, node.slotCount)
        return nil
    }

    static func topologyProblem(_ topology: ClusterTopology) -> String? {
        var owner = [Int](repeating: -1, count: 16384)
        var ids = Set<NodeID>()
        for (index, node) in topology.nodes.enumerated() {
            if let problem = nodeProblem(node) { return problem }
            guard ids.insert(node.id).inserted else { return "duplicate id \(node.id) accepted" }
            guard topology.node(node.id) == node else { return "node(\(node.id)) does not return its node" }
            for range in node.slots {
                for slot in range.slots {
                    guard owner[slot] == -1 else { return "slot \(slot) owned by nodes \(owner[slot]) and \(index)" }
                    owner[slot] = index
                }
            }
            _ = topology.replicas(of: node.id)
            _ = topology.primary(of: node.id)
            guard topology.slotRanges(of: node.id) == node.slots else { return "slotRanges(of:) differs from the node's slots" }
        }
        var assigned = 0
        for slot in 0..<16384 {
            let expected = owner[slot] >= 0 ? topology.nodes[owner[slot]].id : nil
            guard topology.owner(ofSlot: slot)?.id == expected else {
                return "owner(ofSlot: \(slot)) is \(topology.owner(ofSlot: slot)?.id.description ?? "nil"), expected \(expected?.description ?? "nil")"
            }
            if expected != nil { assigned += 1 }
        }
        guard topology.assignedSlotCount == assigned else { return "assignedSlotCount \(topology.assignedSlotCount), counted \(assigned)" }
        guard topology.allSlotsCovered == (assigned == 16384) else { return "allSlotsCovered disagrees" }
        guard SlotRanges.count(topology.unassignedSlotRanges) == 16384 - assigned else { return "unassignedSlotRanges disagree" }
        guard topology.owner(ofSlot: -1) == nil, topology.owner(ofSlot: 16384) == nil else { return "owner of an invalid slot" }
        _ = (topology.myself, topology.primaries)
        return nil
    }
}
