import NIOCore
import Testing

@testable import RESP

/// Bytes exactly as written; tests spell CRLF as `\r\n`.
func bytes(_ string: String) -> ByteBuffer {
    ByteBuffer(string: string)
}

/// Wire bytes for a reference capture, which shows one token per line with the CRLF stripped.
/// Payloads in these captures contain no CRLF, so every line simply gets its CRLF back.
func wireBytes(fromCapture text: String) -> ByteBuffer {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
    return ByteBuffer(string: lines.map { "\($0)\r\n" }.joined())
}

/// Decodes exactly one complete value from `string` with a fresh decoder and checks nothing is left over.
func decodeOne(_ string: String, limits: RESPLimits = .default, sourceLocation: SourceLocation = #_sourceLocation) throws -> RESPToken {
    var buffer = bytes(string)
    var decoder = RESPTokenDecoder(limits: limits)
    let token = try #require(try decoder.decode(buffer: &buffer), sourceLocation: sourceLocation)
    #expect(buffer.readableBytes == 0, "bytes left after one value", sourceLocation: sourceLocation)
    return token
}

/// Decodes every complete value in `buffer`, in order.
func decodeAll(_ buffer: inout ByteBuffer, decoder: inout RESPTokenDecoder) throws -> [RESPToken] {
    var tokens: [RESPToken] = []
    while let token = try decoder.decode(buffer: &buffer) {
        tokens.append(token)
    }
    return tokens
}

/// Feeds `input` in one read and expects a parsing error (not a request for more bytes) with `code`.
func expectError(
    _ input: String,
    _ code: RESPParsingError.Code,
    offset: Int? = nil,
    limits: RESPLimits = .default,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    var buffer = bytes(input)
    var decoder = RESPTokenDecoder(limits: limits)
    do {
        let token = try decoder.decode(buffer: &buffer)
        Issue.record("expected \(code), got \(token.map { "\($0.value)" } ?? "a request for more bytes")", sourceLocation: sourceLocation)
    } catch {
        #expect(error.code == code, sourceLocation: sourceLocation)
        if let offset {
            #expect(error.offset == offset, sourceLocation: sourceLocation)
        }
    }
}

/// One `CLUSTER SLOT-STATS` entry, read the way the collector will: `[slot, {metric: value}]`,
/// with the metrics as a RESP3 map or a RESP2 flat array.
struct SlotStatsEntry: Equatable {
    var slot: Int64
    var metrics: [String: Int64]
}

func slotStatsEntries(_ token: RESPToken) throws -> [SlotStatsEntry] {
    let entries = try #require(token.array)
    return try entries.map { entry in
        let parts = Array(try #require(entry.array))
        #expect(parts.count == 2)
        let slot = try #require(parts[0].int64)
        var metrics: [String: Int64] = [:]
        for (key, value) in try #require(parts[1].pairs) {
            let name = try #require(key.string)
            let number = try #require(value.int64)
            metrics[name] = number
        }
        return SlotStatsEntry(slot: slot, metrics: metrics)
    }
}
