import NIOCore
import Testing

@testable import RESP

@Suite("Scalar values")
struct ScalarValueTests {
    /// Every scalar type: the wire form, and the value it must decode to.
    static let cases: [(wire: String, value: RESPToken.Value)] = [
        ("+OK\r\n", .simpleString(bytes("OK"))),
        ("+\r\n", .simpleString(bytes(""))),
        ("-ERR unknown command\r\n", .simpleError(bytes("ERR unknown command"))),
        (":0\r\n", .integer(0)),
        (":-42\r\n", .integer(-42)),
        (":+7\r\n", .integer(7)),
        (":9223372036854775807\r\n", .integer(.max)),
        (":-9223372036854775808\r\n", .integer(.min)),
        ("$5\r\nhello\r\n", .bulkString(bytes("hello"))),
        ("$0\r\n\r\n", .bulkString(bytes(""))),
        ("$4\r\na\r\nb\r\n", .bulkString(bytes("a\r\nb"))),
        ("$-1\r\n", .null),
        ("*-1\r\n", .null),
        ("_\r\n", .null),
        ("#t\r\n", .boolean(true)),
        ("#f\r\n", .boolean(false)),
        (",3.14\r\n", .double(3.14)),
        (",10\r\n", .double(10)),
        (",-1.5E-3\r\n", .double(-0.0015)),
        (",1e10\r\n", .double(1e10)),
        (",.5\r\n", .double(0.5)),
        (",inf\r\n", .double(.infinity)),
        (",-inf\r\n", .double(-.infinity)),
        ("(3492890328409238509324850943850943825024385\r\n", .bigNumber(bytes("3492890328409238509324850943850943825024385"))),
        ("(-12\r\n", .bigNumber(bytes("-12"))),
        ("!21\r\nSYNTAX invalid syntax\r\n", .bulkError(bytes("SYNTAX invalid syntax"))),
        ("=15\r\ntxt:Some string\r\n", .verbatimString(bytes("txt:Some string"))),
    ]

    @Test("decodes each scalar type and keeps its exact bytes", arguments: cases)
    func roundTrip(wire: String, value: RESPToken.Value) throws {
        let token = try decodeOne(wire)
        #expect(token.value == value)
        #expect(token.base == bytes(wire))
    }

    @Test func validatingInitMatchesDecoder() throws {
        for (wire, value) in Self.cases {
            var buffer = bytes(wire + "+next\r\n")
            let token = try #require(try RESPToken(validating: &buffer))
            #expect(token.value == value)
            #expect(buffer == bytes("+next\r\n"))
        }
    }

    @Test func validatingInitLeavesIncompleteInputUntouched() throws {
        var buffer = bytes("$10\r\nhello")
        #expect(try RESPToken(validating: &buffer) == nil)
        #expect(buffer == bytes("$10\r\nhello"))
    }

    @Test func nanDecodes() throws {
        guard case .double(let value) = try decodeOne(",nan\r\n").value else {
            Issue.record("not a double")
            return
        }
        #expect(value.isNaN)
    }

    @Test func stringAccessor() throws {
        #expect(try decodeOne("+OK\r\n").string == "OK")
        #expect(try decodeOne("$5\r\nhéé\r\n").string == "héé")
        #expect(try decodeOne("=15\r\ntxt:Some string\r\n").string == "Some string")
        #expect(try decodeOne("=4\r\nmkd:\r\n").string == "")
        #expect(try decodeOne(":1\r\n").string == nil)
        #expect(try decodeOne("-ERR x\r\n").string == nil)
        #expect(try decodeOne("$-1\r\n").string == nil)
    }

    @Test func int64Accessor() throws {
        #expect(try decodeOne(":-5\r\n").int64 == -5)
        #expect(try decodeOne("$4\r\n3276\r\n").int64 == 3276)
        #expect(try decodeOne("+12\r\n").int64 == 12)
        #expect(try decodeOne("$3\r\n1.5\r\n").int64 == nil)
        #expect(try decodeOne("$20\r\n99999999999999999999\r\n").int64 == nil)
        #expect(try decodeOne("$0\r\n\r\n").int64 == nil)
        #expect(try decodeOne(",1\r\n").int64 == nil)
        #expect(try decodeOne("_\r\n").int64 == nil)
    }

    @Test func doubleAndBoolAccessors() throws {
        #expect(try decodeOne(",2.5\r\n").double == 2.5)
        #expect(try decodeOne("$4\r\n0.25\r\n").double == 0.25)
        #expect(try decodeOne("$3\r\ninf\r\n").double == .infinity)
        #expect(try decodeOne(":3\r\n").double == 3)
        #expect(try decodeOne("$4\r\n0x10\r\n").double == nil)
        #expect(try decodeOne("#t\r\n").bool == true)
        #expect(try decodeOne(":1\r\n").bool == nil)
    }

    @Test func isNullAccessor() throws {
        #expect(try decodeOne("_\r\n").isNull)
        #expect(try decodeOne("$-1\r\n").isNull)
        #expect(try decodeOne("*-1\r\n").isNull)
        #expect(try decodeOne("$0\r\n\r\n").isNull == false)
        #expect(try decodeOne("*0\r\n").isNull == false)
    }

    @Test func tokensWithEqualBytesAreEqual() throws {
        let first = try decodeOne("*2\r\n:1\r\n+a\r\n")
        var other = bytes("xx*2\r\n:1\r\n+a\r\n")
        other.moveReaderIndex(forwardBy: 2)
        var decoder = RESPTokenDecoder()
        let second = try #require(try decoder.decode(buffer: &other))
        #expect(first == second)
        #expect(first.hashValue == second.hashValue)
        #expect(first != (try decodeOne("*2\r\n:1\r\n+b\r\n")))
    }
}
