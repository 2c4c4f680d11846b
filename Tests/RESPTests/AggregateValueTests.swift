import NIOCore
import Testing

@testable import RESP

@Suite("Aggregate values")
struct AggregateValueTests {
    @Test func nestedArrayWithEveryElementKind() throws {
        let wire = "*6\r\n:1\r\n$3\r\nfoo\r\n*2\r\n+a\r\n*0\r\n$-1\r\n*-1\r\n_\r\n"
        let token = try decodeOne(wire)
        guard case .array(let array) = token.value else {
            Issue.record("not an array: \(token.value)")
            return
        }
        #expect(array.count == 6)
        let elements = Array(array)
        #expect(elements.count == 6)
        #expect(elements[0].value == .integer(1))
        #expect(elements[1].string == "foo")
        let inner = Array(try #require(elements[2].array))
        #expect(inner.map(\.value) == [.simpleString(bytes("a")), .array(RESPToken.Array(count: 0, elements: ByteBuffer()))])
        #expect(elements[3].isNull && elements[4].isNull && elements[5].isNull)
        // Each element is a slice of the reply's bytes, not a re-encoding.
        #expect(elements[1].base == bytes("$3\r\nfoo\r\n"))
    }

    @Test func setAndPush() throws {
        guard case .set(let set) = try decodeOne("~2\r\n+a\r\n+b\r\n").value else {
            Issue.record("not a set")
            return
        }
        #expect(set.compactMap(\.string) == ["a", "b"])
        let push = try decodeOne(">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n")
        guard case .push(let elements) = push.value else {
            Issue.record("not a push")
            return
        }
        #expect(elements.compactMap(\.string) == ["message", "ch", "hi"])
        #expect(push.array?.count == 3)
    }

    @Test func mapYieldsPairsInOrder() throws {
        let token = try decodeOne("%2\r\n+first\r\n:1\r\n$6\r\nsecond\r\n*1\r\n#f\r\n")
        guard case .map(let map) = token.value else {
            Issue.record("not a map")
            return
        }
        #expect(map.count == 2)
        let pairs = Array(map)
        #expect(pairs.count == 2)
        #expect(pairs[0].key.string == "first")
        #expect(pairs[0].value.int64 == 1)
        #expect(pairs[1].key.string == "second")
        #expect(pairs[1].value.array.map { Array($0).map(\.value) } == [.boolean(false)])
    }

    @Test func pairsReadsRESP3MapAndRESP2FlatArrayAlike() throws {
        let resp3 = try #require(try decodeOne("%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n").pairs)
        let resp2 = try #require(try decodeOne("*4\r\n+a\r\n:1\r\n+b\r\n:2\r\n").pairs)
        #expect(resp3.map { "\($0.key.string!)=\($0.value.int64!)" } == ["a=1", "b=2"])
        #expect(resp2.map { "\($0.key.string!)=\($0.value.int64!)" } == ["a=1", "b=2"])
        #expect(try decodeOne("*3\r\n+a\r\n:1\r\n+b\r\n").pairs == nil)
        #expect(try decodeOne("+a\r\n").pairs == nil)
    }

    @Test func topLevelAttributeIsSkipped() throws {
        var buffer = bytes("|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*2\r\n:2039123\r\n:9543892\r\n")
        var decoder = RESPTokenDecoder()
        let token = try #require(try decoder.decode(buffer: &buffer))
        #expect(token.base == bytes("*2\r\n:2039123\r\n:9543892\r\n"))
        #expect(token.array.map { $0.compactMap(\.int64) } == [2_039_123, 9_543_892])
        #expect(buffer.readableBytes == 0)
    }

    @Test func attributesInsideAggregatesAreSkippedAndDoNotCount() throws {
        // The attribute before the second element is not an element itself, so the count of 2 still holds.
        let token = try decodeOne("*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n*2\r\n|0\r\n+x\r\n+y\r\n")
        let elements = Array(try #require(token.array))
        #expect(elements.count == 2)
        #expect(elements[0].value == .integer(1))
        #expect(elements[1].array.map { $0.compactMap(\.string) } == ["x", "y"])
    }

    @Test func emptyAttributeThenValue() throws {
        let token = try decodeOne("|0\r\n:5\r\n")
        #expect(token.value == .integer(5))
    }

    @Test func attributeValueExistsForATokenBuiltFromAttributeBytes() throws {
        let token = RESPToken(validated: bytes("|1\r\n+ttl\r\n:10\r\n"))
        guard case .attribute(let map) = token.value else {
            Issue.record("not an attribute: \(token.value)")
            return
        }
        let pairs = Array(map)
        #expect(pairs.count == 1)
        #expect(pairs[0].key.string == "ttl")
        #expect(pairs[0].value.int64 == 10)
    }

    @Test func deeplyNestedWithinLimitDecodes() throws {
        let depth = RESPLimits.default.maxDepth
        let wire = String(repeating: "*1\r\n", count: depth) + ":7\r\n"
        var token = try decodeOne(wire)
        for _ in 0..<depth {
            token = try #require(token.array?.first { _ in true })
        }
        #expect(token.value == .integer(7))
    }

    @Test func mapKeysMayBeAggregates() throws {
        let token = try decodeOne("%1\r\n*2\r\n:1\r\n:2\r\n~1\r\n+v\r\n")
        let pair = try #require(token.pairs?.first { _ in true })
        #expect(pair.key.array?.count == 2)
        #expect(pair.value.array.map { $0.compactMap(\.string) } == ["v"])
    }
}
