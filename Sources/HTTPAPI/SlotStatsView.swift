import ClusterModel
import Collector
import Foundation
import NIOCore

/// The cacheable part of a `/api/cluster/slot-stats` answer: everything except `cached` / `cache_timestamp`.
struct SlotStatsAnswer: Sendable {
    var slots: [JSONValue]
    var startSlot: Int?
    var endSlot: Int?
    var note: String?
}

/// Builds slot-stats answers from a snapshot: slots sorted, each counted once, with its owning primary.
enum SlotStatsView {
    static let unsupportedNote = "CLUSTER SLOT-STATS command not supported by this Redis/Valkey version"
    static let notClusterNote = "cluster mode is disabled on this server: no slots"
    static let keysOnlyNote = "the server runs with cluster-slot-stats-enabled no: cpu_usec and network_bytes_* are not tracked (null)"

    static func answer(_ snapshot: ClusterSnapshot, range: SlotRangeQuery) -> SlotStatsAnswer {
        let table = snapshot.slotStats
        switch table.availability {
        case .notCluster:
            return SlotStatsAnswer(slots: [], startSlot: nil, endSlot: nil, note: notClusterNote)
        case .unsupported:
            return SlotStatsAnswer(slots: [], startSlot: range.start, endSlot: range.end, note: unsupportedNote)
        case .unavailable, .full, .keysOnly:
            break
        }
        var slots: [JSONValue] = []
        var missing = 0
        for slot in range.start...range.end {
            guard let stat = table.stat(ofSlot: slot), let owner = table.owner(ofSlot: slot) else {
                missing += 1
                continue
            }
            slots.append(.object([
                ("slot_id", .int(stat.slot)),
                ("key_count", .int(stat.keyCount)),
                ("cpu_usec", .int(stat.cpuUsec)),
                ("network_bytes_in", .int(stat.networkBytesIn)),
                ("network_bytes_out", .int(stat.networkBytesOut)),
                ("node_id", .string(owner.rawValue)),
            ]))
        }
        var notes: [String] = []
        if table.availability == .keysOnly { notes.append(keysOnlyNote) }
        if table.availability == .unavailable {
            notes.append("no primary answered CLUSTER SLOT-STATS this cycle; see the node status in /api/cluster/nodes/metrics")
        } else if missing > 0 {
            notes.append("\(missing) slot(s) in the range have no data: unassigned, or their primary did not answer")
        }
        return SlotStatsAnswer(
            slots: slots, startSlot: range.start, endSlot: range.end,
            note: notes.isEmpty ? nil : notes.joined(separator: "; "))
    }

    static func data(
        _ answer: SlotStatsAnswer, cachedAt: Date?, encodedSlots: ByteBuffer? = nil, slotCount: Int? = nil
    ) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("slots", encodedSlots.map(JSONValue.raw) ?? .array(answer.slots)),
            ("total_slots", .int(Int64(slotCount ?? answer.slots.count))),
            ("start_slot", answer.startSlot.map { .int($0) } ?? .null),
            ("end_slot", answer.endSlot.map { .int($0) } ?? .null),
            ("cached", .bool(cachedAt != nil)),
            ("cache_timestamp", .string(cachedAt.map(Formatting.iso8601))),
        ]
        if let note = answer.note { members.append(("note", .string(note))) }
        return .object(members)
    }
}
