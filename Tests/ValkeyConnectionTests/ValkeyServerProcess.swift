import Foundation
import NIOCore
import NIOPosix

/// A real valkey-server started for one test on a free loopback port, stopped by its PID.
///
/// The binary comes from `VALKEY_SERVER` (set by `scripts/tools-env.sh`, which `make test` sources).
/// A missing binary is a test failure, never a silent skip.
final class ValkeyServerProcess: @unchecked Sendable {
    // @unchecked: `process` is only touched by the test that owns this object, never concurrently.
    let port: Int
    private let process: Process
    private let directory: URL

    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    init(extraArguments: [String] = []) async throws {
        guard let path = ProcessInfo.processInfo.environment["VALKEY_SERVER"],
              FileManager.default.isExecutableFile(atPath: path)
        else {
            throw Missing(description: "VALKEY_SERVER is not set to a valkey-server binary: run `make test` (it sources scripts/tools-env.sh)")
        }
        port = try Self.freePort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("vce-test-\(port)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = [
            "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", directory.path, "--enable-debug-command", "local", "--logfile", "server.log",
        ] + extraArguments
        // Not our pipes: a server holding the test runner's stdout open would keep `swift test | tail` waiting.
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        try await waitUntilAccepting()
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    deinit { stop() }

    private func waitUntilAccepting() async throws {
        for _ in 0..<200 {
            if let channel = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port).get() {
                try? await channel.close()
                return
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw Missing(description: "valkey-server did not start listening on \(port)")
    }

    /// A port nothing listens on right now (bound then released by the kernel's choice).
    static func freePort() throws -> Int {
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).wait()
        let port = channel.localAddress!.port!
        try channel.close().wait()
        return port
    }
}
