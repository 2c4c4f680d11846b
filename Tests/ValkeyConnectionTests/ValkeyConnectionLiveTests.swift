import Logging
import NIOCore
import NIOPosix
import RESP
import Testing
import ValkeyConnection

/// The client against a real valkey-server: handshake, pipelining, deadlines, limits, errors.
@Suite(.serialized)
struct ValkeyConnectionLiveTests {
    let logger = Logger(label: "test")

    func connect(_ server: ValkeyServerProcess, _ configure: (inout ValkeyConnectionConfiguration) -> Void = { _ in })
        async throws -> ValkeyConnection {
        var configuration = ValkeyConnectionConfiguration(connectTimeout: .seconds(5), commandTimeout: .seconds(5))
        configure(&configuration)
        return try await ValkeyConnection.connect(host: "127.0.0.1", port: server.port, configuration: configuration, logger: logger)
    }

    @Test func helloThreeAndClientName() async throws {
        let server = try await ValkeyServerProcess()
        defer { server.stop() }
        let connection = try await connect(server)
        #expect(connection.protocolVersion == 3)
        #expect(try await connection.command("CLIENT", "GETNAME").string == "valkey-cluster-exporter")
        // RESP3 map reply for HELLO-style commands and verbatim strings for INFO
        let info = try await connection.command("INFO", "server")
        #expect(info.string?.contains("valkey_version:") == true)
        await connection.close()
    }

    @Test func resp2WhenAsked() async throws {
        let server = try await ValkeyServerProcess()
        defer { server.stop() }
        let connection = try await connect(server) { $0.preferRESP3 = false }
        #expect(connection.protocolVersion == 2)
        #expect(try await connection.command("CLIENT", "GETNAME").string == "valkey-cluster-exporter")
        await connection.close()
    }

    @Test func pipelinedRepliesArriveInOrder() async throws {
        let server = try await ValkeyServerProcess()
        defer { server.stop() }
        let connection = try await connect(server)
        let replies = try await connection.pipeline((0..<500).map { ["ECHO", "value-\($0)"] })
        #expect(replies.map(\.string) == (0..<500).map { "value-\($0)" })
        await connection.close()
    }

    @Test func largeReplyInManyReads() async throws {
        let server = try await ValkeyServerProcess()
        defer { server.stop() }
        let connection = try await connect(server)
        let big = String(repeating: "x", count: 600_000)
        _ = try await connection.command("SET", "big", big)
        #expect(try await connection.command("GET", "big").string == big)
        await connection.close()
    }

    @Test func commandDeadlineBreaksTheConnection() async throws {
        let server = try await ValkeyServerProcess()
        defer { server.stop() }
        let connection = try await connect(server) { $0.commandTimeout = .milliseconds(300) }
        let started = ContinuousClock.now
        await #expect(throws: ValkeyError.self) { _ = try await connection.command("DEBUG", "SLEEP", "2") }
        do {
            _ = try await connection.command("DEBUG", "SLEEP", "2")
        } catch {
            #expect(error.reason == .timeout || error.reason == .reset)
        }
        #expect(ContinuousClock.now - started < .seconds(2))
        #expect(connection.isUsable == false)
    }

    @Test func stoppedServerTimesOutOnConnect() async throws {
        let server = try await ValkeyServerProcess()
        defer { server.signal(SIGCONT); server.stop() }
        server.signal(SIGSTOP)
        let started = ContinuousClock.now
        do {
            _ = try await connect(server) { $0.connectTimeout = .milliseconds(400) }
            Issue.record("connected to a stopped server")
        } catch let error as ValkeyError {
            #expect(error.reason == .timeout)
        }
        #expect(ContinuousClock.now - started < .seconds(2))
    }

    @Test func refusedPort() async throws {
        let port = try ValkeyServerProcess.freePort()
        do {
            _ = try await ValkeyConnection.connect(host: "127.0.0.1", port: port, configuration: .init(), logger: logger)
            Issue.record("connected to a closed port")
        } catch {
            #expect(error.reason == .refused)
        }
    }

    @Test func aclUserAndWrongPassword() async throws {
        let server = try await ValkeyServerProcess()
        defer { server.stop() }
        let admin = try await connect(server)
        _ = try await admin.command("ACL", "SETUSER", "exporter", "on", ">s3cret-pass", "+@all", "~*")
        await admin.close()
        let good = try await connect(server) { $0.username = "exporter"; $0.password = Secret("s3cret-pass") }
        #expect(try await good.command("ACL", "WHOAMI").string == "exporter")
        await good.close()
        for resp3 in [true, false] {
            do {
                _ = try await connect(server) {
                    $0.username = "exporter"; $0.password = Secret("wrong"); $0.preferRESP3 = resp3
                }
                Issue.record("wrong password accepted")
            } catch let error as ValkeyError {
                #expect(error.reason == .auth)
                #expect(!error.message.contains("wrong"))
            }
        }
    }

    @Test func oversizedBulkIsAProtocolError() async throws {
        let server = try await ValkeyServerProcess()
        defer { server.stop() }
        let setup = try await connect(server)
        _ = try await setup.command("SET", "k", String(repeating: "y", count: 5000))
        await setup.close()
        var limits = RESPLimits.default
        limits.maxBulkLength = 1000
        let connection = try await connect(server) { $0.limits = limits }
        do {
            _ = try await connection.command("GET", "k")
            Issue.record("oversized bulk accepted")
        } catch {
            #expect(error.reason == .protocol)
        }
        #expect(connection.isUsable == false)
    }
}
