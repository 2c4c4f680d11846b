import Logging
import NIOCore
import NIOPosix
import RESP

/// One connection to one Valkey node: handshake, pipelined commands with a deadline, clean close.
///
/// It knows nothing about clusters. A connection that timed out or saw a protocol error is broken
/// for good (`isUsable` turns false) so the caller replaces it instead of reading a late reply as the
/// answer to its next command.
public final class ValkeyConnection: Sendable {
    /// The address this connection was opened to, as given (`host:port`).
    public let host: String
    public let port: Int
    /// 3 after a successful `HELLO 3`, otherwise 2.
    public let protocolVersion: Int
    private let channel: any Channel
    private let handler: NIOLoopBound<ValkeyChannelHandler>
    private let health: ConnectionHealth
    private let commandTimeout: Duration

    private init(
        host: String, port: Int, channel: any Channel, handler: NIOLoopBound<ValkeyChannelHandler>,
        health: ConnectionHealth, protocolVersion: Int, commandTimeout: Duration
    ) {
        self.health = health
        self.host = host
        self.port = port
        self.channel = channel
        self.handler = handler
        self.protocolVersion = protocolVersion
        self.commandTimeout = commandTimeout
    }

    /// Opens a connection and runs the handshake (`HELLO 3` with AUTH and SETNAME, or RESP2
    /// `AUTH` + `CLIENT SETNAME`), all within `configuration.connectTimeout`.
    public static func connect(
        host: String,
        port: Int,
        configuration: ValkeyConnectionConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) async throws(ValkeyError) -> ValkeyConnection {
        let limits = configuration.limits
        let counterNames = configuration.counterNames
        let health = ConnectionHealth()
        let tls = configuration.tls
        let diagnosis = TLSDiagnosis()
        let bootstrap = ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(.nanoseconds(Int64(configuration.connectTimeout.nanoseconds)))
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        // The TLS handshake runs before HELLO, inside the same connect deadline.
                        try channel.pipeline.syncOperations.addHandler(tls.makeHandler(host: host, diagnosis: diagnosis))
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(RESPTokenDecoder(limits: limits, counterNames: counterNames)))
                    try channel.pipeline.syncOperations.addHandler(ValkeyChannelHandler(health: health))
                }
            }
        let started = ContinuousClock.now
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            throw ValkeyError.classify(error)
        }
        let handler: NIOLoopBound<ValkeyChannelHandler>
        do {
            handler = try await channel.eventLoop.submit {
                NIOLoopBound(try channel.pipeline.syncOperations.handler(type: ValkeyChannelHandler.self),
                             eventLoop: channel.eventLoop)
            }.get()
        } catch {
            channel.close(promise: nil)
            throw ValkeyError.classify(error)
        }
        // The handshake gets what is left of the connect deadline.
        let remaining = configuration.connectTimeout - (ContinuousClock.now - started)
        let provisional = ValkeyConnection(
            host: host, port: port, channel: channel, handler: handler,
            health: health, protocolVersion: 2, commandTimeout: max(remaining, .milliseconds(1)))
        do {
            let version = try await provisional.handshake(configuration: configuration, logger: logger)
            return ValkeyConnection(
                host: host, port: port, channel: channel, handler: handler,
                health: health, protocolVersion: version, commandTimeout: configuration.commandTimeout)
        } catch {
            await provisional.close()
            // Our certificate verifier knows more than BoringSSL's "certificate verify failed".
            throw diagnosis.error ?? error
        }
    }

    /// Whether the connection can carry more commands: open, and never timed out or desynchronised.
    public var isUsable: Bool { channel.isActive && !health.isBroken }

    /// Sends `commands` in one write and waits for every reply, within the command deadline.
    ///
    /// Server error replies (`-ERR ...`) come back as tokens; transport failures (timeout, reset,
    /// protocol) throw and leave the connection broken.
    public func pipeline(_ commands: [[String]], timeout: Duration? = nil) async throws(ValkeyError) -> [RESPToken] {
        if commands.isEmpty { return [] }
        let loop = channel.eventLoop
        let promises = commands.map { _ in loop.makePromise(of: RESPToken.self) }
        var bytes = channel.allocator.buffer(capacity: 64 * commands.count)
        for command in commands { RESPCommandEncoder.encode(command, into: &bytes) }
        let deadline = timeout ?? commandTimeout
        let handler = self.handler
        let channel = self.channel
        let answered = BatchCompletion()
        let timer = loop.scheduleTask(in: .nanoseconds(Int64(deadline.nanoseconds))) {
            // A timer that was already due when the last reply arrived must not break a healthy connection.
            guard !answered.isDone else { return }
            handler.value.fail(ValkeyError(.timeout, "no reply within \(deadline.compactDescription)"), close: true)
        }
        // A write to a closed channel never reaches our handler (NIO removes handlers on close), so its
        // failure must fail the requests here; completing an already failed promise again is a no-op.
        let written = loop.makePromise(of: Void.self)
        written.futureResult.whenFailure { error in
            let failure = ValkeyError.classify(error)
            for promise in promises { promise.fail(failure) }
        }
        if health.isBroken {
            written.fail(ValkeyError(.reset, "connection is broken"))
        } else {
            channel.writeAndFlush(ValkeyRequest(bytes: bytes, promises: promises), promise: written)
        }
        let all = EventLoopFuture.whenAllSucceed(promises.map(\.futureResult), on: loop)
        all.whenComplete { _ in
            answered.markDone()
            timer.cancel()
        }
        do {
            // Cancellation (shutdown) breaks the connection instead of waiting out the deadline.
            return try await withTaskCancellationHandler {
                try await all.get()
            } onCancel: {
                loop.execute { handler.value.fail(ValkeyError(.closed, "cancelled"), close: true) }
            }
        } catch {
            throw ValkeyError.classify(error)
        }
    }

    /// Sends one command and returns its reply token (which may be an error reply).
    public func command(_ arguments: String...) async throws(ValkeyError) -> RESPToken {
        try await pipeline([arguments])[0]
    }

    /// Closes the connection; outstanding commands fail with `closed`.
    public func close() async {
        let handler = self.handler
        let channel = self.channel
        try? await channel.eventLoop.submit {
            handler.value.fail(ValkeyError(.closed, "connection closed by the exporter"), close: false)
        }.get()
        try? await channel.close()
    }
}

extension Duration {
    /// Whole nanoseconds, saturating (for NIO's `TimeAmount`).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (ns, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return ns &+ attoseconds / 1_000_000_000
    }

    /// "250ms" or "5s": short text for messages.
    var compactDescription: String {
        let ms = nanoseconds / 1_000_000
        return ms % 1000 == 0 ? "\(ms / 1000)s" : "\(ms)ms"
    }
}
