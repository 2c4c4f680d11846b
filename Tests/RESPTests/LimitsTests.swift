import NIOCore
import Testing

@testable import RESP

@Suite("Limits")
struct LimitsTests {
    static func limits(bulk: Int = 1000, aggregate: Int = 1000, depth: Int = 32, reply: Int = 1_000_000) -> RESPLimits {
        RESPLimits(maxBulkLength: bulk, maxAggregateCount: aggregate, maxDepth: depth, maxReplySize: reply)
    }

    @Test func defaults() {
        let limits = RESPLimits.default
        #expect(limits.maxBulkLength == 64 * 1024 * 1024)
        #expect(limits.maxAggregateCount == 1_048_576)
        #expect(limits.maxDepth == 32)
        #expect(limits.maxReplySize == 256 * 1024 * 1024)
    }

    @Test func bulkLengthIsCheckedFromTheHeaderAlone() {
        // No payload byte has arrived: the error must come from the header, not after waiting.
        expectError("$11\r\n", .bulkTooLong, offset: 0, limits: Self.limits(bulk: 10))
        expectError("!11\r\n", .bulkTooLong, limits: Self.limits(bulk: 10))
        expectError("=11\r\n", .bulkTooLong, limits: Self.limits(bulk: 10))
        expectError("*1\r\n$11\r\n", .bulkTooLong, offset: 4, limits: Self.limits(bulk: 10))
        expectError("$9223372036854775807\r\n", .bulkTooLong)
    }

    @Test func bulkAtTheLimitIsAccepted() throws {
        let token = try decodeOne("$10\r\n0123456789\r\n", limits: Self.limits(bulk: 10))
        #expect(token.string == "0123456789")
    }

    @Test func aggregateCountIsCheckedFromTheHeader() throws {
        let limits = Self.limits(aggregate: 10)
        expectError("*11\r\n", .aggregateTooLarge, limits: limits)
        expectError("~11\r\n", .aggregateTooLarge, limits: limits)
        expectError(">11\r\n", .aggregateTooLarge, limits: limits)
        // Maps count two elements per pair.
        expectError("%6\r\n", .aggregateTooLarge, limits: limits)
        expectError("|6\r\n", .aggregateTooLarge, limits: limits)
        expectError("*9223372036854775807\r\n", .aggregateTooLarge)
        expectError("%4611686018427387904\r\n", .aggregateTooLarge)
        let map = try decodeOne("%5\r\n" + String(repeating: ":1\r\n:2\r\n", count: 5), limits: limits)
        #expect(map.pairs?.count == 5)
        var partial = bytes("*10\r\n")
        var decoder = RESPTokenDecoder(limits: limits)
        #expect(try decoder.decode(buffer: &partial) == nil)
    }

    @Test func depthIsLimited() throws {
        let limits = Self.limits(depth: 3)
        let three = try decodeOne("*1\r\n*1\r\n*1\r\n:1\r\n", limits: limits)
        #expect(three.array?.count == 1)
        expectError("*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", .tooDeep, offset: 12, limits: limits)
        expectError("*1\r\n%1\r\n~1\r\n*0\r\n", .tooDeep, limits: limits)
        expectError("*1\r\n*1\r\n*1\r\n|1\r\n", .tooDeep, limits: limits)
        // The default stops a stack of 100,000 nested arrays long before it could matter.
        expectError(String(repeating: "*1\r\n", count: 100_000), .tooDeep, offset: 32 * 4)
    }

    @Test func replySizeIsLimited() throws {
        let limits = Self.limits(reply: 32)
        // Announced by a bulk header: rejected before the payload arrives.
        expectError("$40\r\n", .replyTooLarge, limits: limits)
        expectError("*2\r\n$25\r\n", .replyTooLarge, offset: 4, limits: limits)
        // An aggregate that cannot fit even with 3-byte elements.
        expectError("*11\r\n", .replyTooLarge, limits: limits)
        // A line that never ends.
        expectError("+" + String(repeating: "a", count: 40), .replyTooLarge, limits: limits)
        // Many small elements that add up.
        expectError("*9\r\n" + String(repeating: ":1\r\n", count: 9), .replyTooLarge, limits: limits)
        let fits = try decodeOne("*7\r\n" + String(repeating: ":1\r\n", count: 7), limits: limits)
        #expect(fits.base.readableBytes == 32)
    }

    @Test func unboundedLimitsDoNotOverflow() {
        let unbounded = RESPLimits(maxBulkLength: .max, maxAggregateCount: .max, maxDepth: .max, maxReplySize: .max)
        expectError("$9223372036854775807\r\n", .replyTooLarge, limits: unbounded)
        expectError("%9223372036854775807\r\n", .aggregateTooLarge, limits: unbounded)
        expectError("*9223372036854775807\r\n", .replyTooLarge, limits: unbounded)
    }

    @Test func replySizeIsPerReplyNotPerStream() throws {
        var buffer = bytes(String(repeating: "+0123456789\r\n", count: 10))
        var decoder = RESPTokenDecoder(limits: Self.limits(reply: 13))
        #expect(try decodeAll(&buffer, decoder: &decoder).count == 10)
    }

    @Test func headerLinesThatNeverEndAreRejectedEarly() {
        // Far below maxReplySize: a length has at most 20 characters.
        expectError("$" + String(repeating: "1", count: 25), .invalidLength)
        expectError("*" + String(repeating: "1", count: 25), .invalidLength)
        expectError(":" + String(repeating: "1", count: 25), .invalidInteger)
        expectError("#tru", .invalidBoolean)
        expectError("_ ", .invalidNull)
    }
}
