import NIOCore
import Testing

@testable import RESP

/// Error replies captured from Valkey 9.1.2 (shared/reference/valkey-9.1.2/acl-error-replies.txt).
@Suite("Error replies")
struct ErrorReplyTests {
    @Test func noPermissionSimpleError() throws {
        let token = try decodeOne("-NOPERM User exporter has no permissions to run the 'cluster|slot-stats' command\r\n")
        #expect(token.base.readableBytes == 82)
        #expect(token.errorMessage == "NOPERM User exporter has no permissions to run the 'cluster|slot-stats' command")
        #expect(token.errorCode == "NOPERM")
        #expect(token.string == nil)
        #expect(token.int64 == nil)
        #expect(token.isNull == false)
    }

    @Test func wrongPasswordSimpleError() throws {
        let token = try decodeOne("-WRONGPASS invalid username-password pair or user is disabled.\r\n")
        #expect(token.base.readableBytes == 64)
        #expect(token.errorCode == "WRONGPASS")
        #expect(token.errorMessage == "WRONGPASS invalid username-password pair or user is disabled.")
    }

    @Test func bulkErrorAndCodeOnlyError() throws {
        let bulk = try decodeOne("!21\r\nSYNTAX invalid syntax\r\n")
        #expect(bulk.errorMessage == "SYNTAX invalid syntax")
        #expect(bulk.errorCode == "SYNTAX")
        #expect(try decodeOne("-LOADING\r\n").errorCode == "LOADING")
    }

    @Test func nonErrorsHaveNoErrorMessage() throws {
        #expect(try decodeOne("+OK\r\n").errorMessage == nil)
        #expect(try decodeOne("$3\r\nERR\r\n").errorMessage == nil)
        #expect(try decodeOne("*1\r\n-ERR inner\r\n").errorMessage == nil)
    }

    @Test func errorInsidePipelineDoesNotStopLaterReplies() throws {
        var buffer = bytes("+OK\r\n-NOPERM no\r\n:3276\r\n")
        var decoder = RESPTokenDecoder()
        let tokens = try decodeAll(&buffer, decoder: &decoder)
        #expect(tokens.map(\.errorCode) == [nil, "NOPERM", nil])
        #expect(tokens.last?.int64 == 3276)
    }
}
