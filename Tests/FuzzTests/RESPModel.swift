/// A RESP2/RESP3 value built by the fuzzer, its exact wire encoding, and what a decoder must make of it.
indirect enum RESPModel {
    case simpleString([UInt8])
    case simpleError([UInt8])
    case integer(Int64, text: String)
    /// nil: the RESP2 null bulk string `$-1`.
    case bulkString([UInt8]?)
    case bulkError([UInt8])
    /// Payload including its three-character format and `:`.
    case verbatim([UInt8])
    /// The wire text; the value is what `Double` (or the special spellings) make of it.
    case double(String)
    case boolean(Bool)
    case bigNumber(String)
    case null
    case nullArray
    case array([RESPModel])
    case set([RESPModel])
    case push([RESPModel])
    case map([(RESPModel, RESPModel)])
    /// An attribute (`|`) in front of a value; it is metadata and never an element of its own.
    case attributed([(RESPModel, RESPModel)], RESPModel)

    /// The exact bytes.
    var encoded: [UInt8] {
        var out: [UInt8] = []
        encode(into: &out)
        return out
    }

    /// The value with any leading top-level attributes removed: what a decoder returns as the token.
    var withoutLeadingAttributes: RESPModel {
        if case .attributed(_, let value) = self { return value.withoutLeadingAttributes }
        return self
    }

    func encode(into out: inout [UInt8]) {
        func line(_ marker: Character, _ text: some Sequence<UInt8>) {
            out.append(marker.asciiValue!)
            out.append(contentsOf: text)
            out.append(contentsOf: [13, 10])
        }
        func blob(_ marker: Character, _ payload: [UInt8]) {
            line(marker, String(payload.count).utf8)
            out.append(contentsOf: payload)
            out.append(contentsOf: [13, 10])
        }
        switch self {
        case .simpleString(let text): line("+", text)
        case .simpleError(let text): line("-", text)
        case .integer(_, let text): line(":", text.utf8)
        case .bulkString(nil): line("$", "-1".utf8)
        case .bulkString(let payload?): blob("$", payload)
        case .bulkError(let payload): blob("!", payload)
        case .verbatim(let payload): blob("=", payload)
        case .double(let text): line(",", text.utf8)
        case .boolean(let value): line("#", (value ? "t" : "f").utf8)
        case .bigNumber(let text): line("(", text.utf8)
        case .null: line("_", [])
        case .nullArray: line("*", "-1".utf8)
        case .array(let elements), .set(let elements), .push(let elements):
            let marker: Character = if case .array = self { "*" } else if case .set = self { "~" } else { ">" }
            line(marker, String(elements.count).utf8)
            for element in elements { element.encode(into: &out) }
        case .map(let pairs):
            line("%", String(pairs.count).utf8)
            for (key, value) in pairs {
                key.encode(into: &out)
                value.encode(into: &out)
            }
        case .attributed(let pairs, let value):
            line("|", String(pairs.count).utf8)
            for (key, value) in pairs {
                key.encode(into: &out)
                value.encode(into: &out)
            }
            value.encode(into: &out)
        }
    }

    /// Nesting depth as the decoder counts it: each aggregate (attributes included) is one level.
    var depth: Int {
        switch self {
        case .array(let elements), .set(let elements), .push(let elements):
            1 + (elements.map(\.depth).max() ?? 0)
        case .map(let pairs):
            1 + (pairs.map { max($0.0.depth, $0.1.depth) }.max() ?? 0)
        case .attributed(let pairs, let value):
            max(1 + (pairs.map { max($0.0.depth, $0.1.depth) }.max() ?? 0), value.depth)
        default:
            0
        }
    }
}

/// Builds random valid values, with every type, nulls, attributes anywhere, and occasionally large payloads.
struct RESPGenerator {
    var maxDepth = 4
    var maxElements = 5
    /// Allow payloads of tens of kilobytes now and then.
    var allowLarge = true

    static let textAlphabet: [UInt8] = Array("abcXYZ019 _-:.,=*$+#%~>|!()\t\u{7F}".utf8) + [0x00, 0xC3, 0xA9, 0xFF, 0x80]

    func value(_ rng: inout FuzzRNG, depth: Int = 0) -> RESPModel {
        let aggregate = depth < maxDepth && rng.int(0...9) < 4
        if aggregate {
            return aggregateValue(&rng, depth: depth)
        }
        return scalar(&rng)
    }

    private func aggregateValue(_ rng: inout FuzzRNG, depth: Int) -> RESPModel {
        func elements() -> [RESPModel] {
            (0..<rng.int(0...maxElements)).map { _ in value(&rng, depth: depth + 1) }
        }
        func pairs() -> [(RESPModel, RESPModel)] {
            (0..<rng.int(0...maxElements)).map { _ in (value(&rng, depth: depth + 1), value(&rng, depth: depth + 1)) }
        }
        switch rng.int(0...5) {
        case 0, 1: return .array(elements())
        case 2: return .set(elements())
        case 3: return .push(elements())
        case 4: return .map(pairs())
        default:
            // The attribute is one level deeper than the value it describes.
            let attributePairs = (0..<rng.int(0...2)).map { _ in (scalar(&rng), value(&rng, depth: depth + 1)) }
            return .attributed(attributePairs, value(&rng, depth: depth))
        }
    }

    func text(_ rng: inout FuzzRNG, max: Int = 12) -> [UInt8] {
        (0..<rng.int(0...max)).map { _ in rng.pick(Self.textAlphabet) }
    }

    func payload(_ rng: inout FuzzRNG) -> [UInt8] {
        if allowLarge, rng.oneIn(500) {
            // Large, but cheap to build in a debug build: a filler with random bytes (CR and LF among them) spliced in.
            var large = [UInt8](repeating: rng.pick(Self.textAlphabet), count: rng.int(1000...70_000))
            for _ in 0..<32 { large[rng.int(0...(large.count - 1))] = rng.pick([13, 10, 0, 0xFF, 0x24]) }
            return large
        }
        // Payloads are binary-safe: CR, LF and CRLF inside must not end them.
        let alphabet = Self.textAlphabet + [13, 10, 13, 10]
        return (0..<rng.int(0...16)).map { _ in rng.pick(alphabet) }
    }

    func scalar(_ rng: inout FuzzRNG) -> RESPModel {
        switch rng.int(0...13) {
        case 0: return .simpleString(text(&rng))
        case 1: return .simpleError(Array("ERR ".utf8) + text(&rng))
        case 2:
            let value: Int64 = rng.pick([0, 1, -1, .max, .min, Int64.random(in: .min ... .max, using: &rng), Int64(rng.int(-1000...1000))])
            var text: String
            // Valid but unusual spellings: a plus sign, leading zeros (the line stays within the 20 characters
            // the decoder allows an integer line).
            let sign = value < 0 ? "-" : (rng.oneIn(4) ? "+" : "")
            let digits = String(value.magnitude)
            let zeros = rng.oneIn(6) ? rng.int(0...max(0, 20 - sign.count - digits.count)) : 0
            text = sign + String(repeating: "0", count: zeros) + digits
            return .integer(value, text: text)
        case 3, 4: return .bulkString(payload(&rng))
        case 5: return .bulkString(nil)
        case 6: return .bulkError(Array("ERR ".utf8) + payload(&rng))
        case 7: return .verbatim(Array(rng.pick(["txt:", "mkd:", "abc:"]).utf8) + payload(&rng))
        case 8:
            return .double(rng.pick([
                "inf", "-inf", "+inf", "nan", "0", "-0", "1.5", ".5", "1.", "-1e10", "1E-3", "+2.25e+2", "1e400", "-1e-400",
                String(Double.random(in: -1e6...1e6, using: &rng)), String(repeating: "9", count: 400),
            ]))
        case 9: return .boolean(rng.oneIn(2))
        case 10: return .bigNumber(rng.pick(["0", "-1", "+7", "3492890328409238509324850943850943825024385", String(repeating: "1", count: 300)]))
        case 11: return .null
        case 12: return .nullArray
        default: return .simpleString(Array("OK".utf8))
        }
    }

    /// A chain of `depth` nested one-element aggregates around a scalar: for the depth limit.
    static func deep(_ depth: Int, _ rng: inout FuzzRNG) -> RESPModel {
        var value = RESPModel.integer(1, text: "1")
        for _ in 0..<depth {
            switch rng.int(0...4) {
            case 0: value = .array([value])
            case 1: value = .set([value])
            case 2: value = .push([value])
            case 3: value = .map([(.null, value)])
            default: value = .attributed([(.null, .null)], .array([value]))
            }
        }
        return value
    }
}
