import NIOCore
import Testing

@testable import Collector
@testable import RESP

/// What a decoder made of a byte stream: the tokens (bytes and how much of the stream each consumed),
/// then how it stopped.
struct DecodeRun: Equatable {
    enum End: Equatable {
        case needsMore(remaining: Int)
        case error(RESPParsingError)
    }

    var tokens: [[UInt8]] = []
    var consumed: [Int] = []
    var end = End.needsMore(remaining: 0)
    var decoded: [RESPToken] = []
    /// Bytes the scanner looked at in total, to catch re-scanning of partial replies.
    var bytesExamined = 0
    var calls = 0
    /// Something no input may cause: a token under 3 bytes, a token at end of stream, a wrong EOF error.
    var anomaly: String?

    static func == (lhs: DecodeRun, rhs: DecodeRun) -> Bool {
        lhs.tokens == rhs.tokens && lhs.consumed == rhs.consumed && lhs.end == rhs.end
    }

    var summary: String {
        "\(tokens.count) token(s) of \(consumed) bytes, then \(end)"
    }
}

enum RESPDecodeHarness {
    /// Feeds `bytes` in reads of `chunks` bytes into one cumulative buffer, calling `decode(buffer:)` until it
    /// asks for more after each read, as `ByteToMessageHandler` does (compacting now and then, as it may).
    static func decode(_ bytes: [UInt8], chunks: [Int]? = nil, limits: RESPLimits, rng: inout FuzzRNG) -> DecodeRun {
        var run = DecodeRun()
        var decoder = RESPTokenDecoder(limits: limits)
        var buffer = ByteBuffer()
        var offset = 0
        outer: for size in chunks ?? [bytes.count] {
            buffer.writeBytes(bytes[offset..<(offset + size)])
            offset += size
            while buffer.readableBytes > 0 {
                let before = buffer.readableBytes
                run.calls += 1
                do {
                    guard let token = try decoder.decode(buffer: &buffer) else { break }
                    run.tokens.append(Array(token.base.readableBytesView))
                    run.consumed.append(before - buffer.readableBytes)
                    run.decoded.append(token)
                    // A value takes at least 3 bytes, so this also bounds the loop.
                    if before - buffer.readableBytes < 3 {
                        run.anomaly = "a token consumed \(before - buffer.readableBytes) bytes"
                        return run
                    }
                } catch {
                    run.end = .error(error)
                    run.bytesExamined = decoder.bytesExamined
                    return run
                }
            }
            if rng.oneIn(3) { buffer.discardReadBytes() }
        }
        run.end = .needsMore(remaining: buffer.readableBytes)
        // At end of stream, leftover bytes must be reported as a truncated reply, never as a token.
        if buffer.readableBytes > 0 {
            do {
                let token = try decoder.decodeLast(buffer: &buffer, seenEOF: true)
                if token != nil { run.anomaly = "decodeLast returned a token from bytes decode() left" }
            } catch {
                if error.code != .truncated { run.anomaly = "decodeLast at EOF threw \(error), not truncated" }
            }
        }
        run.bytesExamined = decoder.bytesExamined
        return run
    }

    /// Reads everything a token offers through every public accessor, and checks it respects `limits`.
    /// Returns a problem, or nil.
    static func walk(_ token: RESPToken, limits: RESPLimits) -> String? {
        var budget = 20_000
        var problem: String?
        walk(token, depth: 0, limits: limits, budget: &budget, problem: &problem)
        if problem == nil {
            let atEnd = token.withReader { reader in
                reader.skipValue()
                return reader.isAtEnd
            }
            if !atEnd { problem = "RESPReader.skipValue did not consume the whole token" }
            // A flat walk of every header, reading each string's bytes.
            token.withReader { reader in
                var n = 0
                while let element = reader.next(), n < 100_000 {
                    n += 1
                    switch element {
                    case .string(let range), .error(let range):
                        _ = reader.string(range)
                        _ = reader.bytesEqual(range, Array("key-count".utf8))
                    default: break
                    }
                }
            }
        }
        // Whatever the token, the SLOT-STATS parser must answer, never trap.
        _ = SlotStatsReply.parse(token)
        return problem
    }

    private static func walk(_ token: RESPToken, depth: Int, limits: RESPLimits, budget: inout Int, problem: inout String?) {
        budget -= 1
        guard budget > 0, problem == nil else { return }
        _ = token.string
        _ = token.bytes
        _ = token.int64
        _ = token.double
        _ = token.bool
        _ = token.errorMessage
        _ = token.errorCode
        _ = token.isNull
        _ = token.hashValue
        switch token.value {
        case .bulkString(let payload), .bulkError(let payload), .verbatimString(let payload):
            if payload.readableBytes > limits.maxBulkLength { problem = "bulk of \(payload.readableBytes) bytes above the limit" }
        case .array(let elements), .set(let elements), .push(let elements):
            if depth + 1 > limits.maxDepth { problem = "aggregate at depth \(depth + 1) above the limit" }
            if elements.count > limits.maxAggregateCount { problem = "aggregate of \(elements.count) above the limit" }
            var seen = 0
            for element in elements {
                seen += 1
                walk(element, depth: depth + 1, limits: limits, budget: &budget, problem: &problem)
            }
            if seen != elements.count { problem = "array announced \(elements.count) elements, iterated \(seen)" }
        case .map(let pairs), .attribute(let pairs):
            if depth + 1 > limits.maxDepth { problem = "map at depth \(depth + 1) above the limit" }
            if pairs.count * 2 > limits.maxAggregateCount { problem = "map of \(pairs.count) pairs above the limit" }
            var seen = 0
            for (key, value) in pairs {
                seen += 1
                walk(key, depth: depth + 1, limits: limits, budget: &budget, problem: &problem)
                walk(value, depth: depth + 1, limits: limits, budget: &budget, problem: &problem)
            }
            if seen != pairs.count { problem = "map announced \(pairs.count) pairs, iterated \(seen)" }
        default:
            break
        }
        if let pairs = token.pairs {
            var seen = 0
            for _ in pairs { seen += 1 }
            if seen != pairs.count { problem = "pairs announced \(pairs.count), iterated \(seen)" }
        }
    }

    /// Whether a token decodes to what the model says, element by element (attributes skipped). Returns a problem, or nil.
    static func compare(_ token: RESPToken, _ model: RESPModel, path: String = "$") -> String? {
        let model = model.withoutLeadingAttributes
        func bytes(_ buffer: ByteBuffer) -> [UInt8] { Array(buffer.readableBytesView) }
        func elements(_ array: RESPToken.Array, _ expected: [RESPModel]) -> String? {
            guard array.count == expected.count else { return "\(path): \(array.count) elements, expected \(expected.count)" }
            for (index, (element, model)) in zip(array, expected).enumerated() {
                if let problem = compare(element, model, path: "\(path)[\(index)]") { return problem }
            }
            return nil
        }
        let value = token.value
        switch (value, model) {
        case (.simpleString(let b), .simpleString(let t)) where bytes(b) == t: return nil
        case (.simpleError(let b), .simpleError(let t)) where bytes(b) == t: return nil
        case (.integer(let v), .integer(let expected, _)) where v == expected: return nil
        case (.null, .bulkString(nil)), (.null, .null), (.null, .nullArray): return nil
        case (.bulkString(let b), .bulkString(let p?)) where bytes(b) == p: return nil
        case (.bulkError(let b), .bulkError(let p)) where bytes(b) == p: return nil
        case (.verbatimString(let b), .verbatim(let p)) where bytes(b) == p:
            return token.bytes.map(bytes) == Array(p.dropFirst(4)) ? nil : "\(path): verbatim payload without prefix differs"
        case (.double(let v), .double(let text)):
            let expected = RESPSyntax.specialDouble(Array(text.utf8)) ?? Double(text)!
            return v == expected || (v.isNaN && expected.isNaN) ? nil : "\(path): double \(v), expected \(expected)"
        case (.boolean(let v), .boolean(let expected)) where v == expected: return nil
        case (.bigNumber(let b), .bigNumber(let t)) where bytes(b) == Array(t.utf8): return nil
        case (.array(let a), .array(let e)), (.set(let a), .set(let e)), (.push(let a), .push(let e)):
            return elements(a, e)
        case (.map(let m), .map(let expected)):
            guard m.count == expected.count else { return "\(path): \(m.count) pairs, expected \(expected.count)" }
            for (index, (pair, model)) in zip(m, expected).enumerated() {
                if let problem = compare(pair.key, model.0, path: "\(path){\(index)}.key") { return problem }
                if let problem = compare(pair.value, model.1, path: "\(path){\(index)}.value") { return problem }
            }
            return nil
        default:
            return "\(path): decoded \(value), expected \(model)"
        }
    }

    /// Whether `RESPReader` walks the token's headers as the model says. Returns a problem, or nil.
    static func compareReader(_ token: RESPToken, _ model: RESPModel) -> String? {
        token.withReader { reader in
            var problem: String?
            compareReader(&reader, model, problem: &problem)
            if problem == nil, !reader.isAtEnd { problem = "reader not at end after the value" }
            return problem
        }
    }

    private static func compareReader(_ reader: inout RESPReader, _ model: RESPModel, problem: inout String?) {
        guard problem == nil else { return }
        let model = model.withoutLeadingAttributes
        let element = reader.next()
        func expectBytes(_ range: Range<Int>, _ expected: [UInt8]) {
            if !reader.bytesEqual(range, expected) { problem = "reader bytes \(reader.string(range)) differ from \(expected)" }
        }
        switch (element, model) {
        case (.string(let r)?, .simpleString(let t)), (.error(let r)?, .simpleError(let t)): expectBytes(r, t)
        case (.string(let r)?, .bulkString(let p?)), (.error(let r)?, .bulkError(let p)), (.string(let r)?, .verbatim(let p)):
            expectBytes(r, p)
        case (.integer(let v)?, .integer(let expected, _)):
            if v != expected { problem = "reader integer \(v), expected \(expected)" }
        case (.null?, .null), (.null?, .nullArray), (.null?, .bulkString(nil)): break
        case (.other?, .double), (.other?, .boolean), (.other?, .bigNumber): break
        case (.array(let count)?, .array(let e)), (.array(let count)?, .set(let e)), (.array(let count)?, .push(let e)):
            if count != e.count { problem = "reader count \(count), expected \(e.count)"; return }
            for child in e { compareReader(&reader, child, problem: &problem) }
        case (.map(let count)?, .map(let pairs)):
            if count != pairs.count { problem = "reader map count \(count), expected \(pairs.count)"; return }
            for (key, value) in pairs {
                compareReader(&reader, key, problem: &problem)
                compareReader(&reader, value, problem: &problem)
            }
        default:
            problem = "reader read \(String(describing: element)), expected \(model)"
        }
    }
}
