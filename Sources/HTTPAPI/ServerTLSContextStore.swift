import Logging
import NIOCore
import NIOSSL
import Synchronization
import WebConfig

/// The TLS context that new HTTPS connections get. Built from `tls_server_config` at start-up, and built again when
/// the certificate, key or client CA file changes on disk, so a rotated certificate is served without a restart.
///
/// Each new connection asks for the context; at most once per `checkInterval` that costs a `stat` of the files (no
/// read), and only a changed stamp reads and parses them. A new file that does not load (half-written, a key that
/// does not match) keeps the previous context in service and logs an error once per change; the next change is
/// tried again. Connections already open keep the context they started with.
public final class ServerTLSContextStore: Sendable {
    private struct State {
        var built: ServerTLSContextFactory.Built
        /// Stamps of the files the current context was built from.
        var stamps: [FileStamp?]
        /// Stamps of the files that last failed to load, so one bad rotation logs one error, not one per connection.
        var rejected: [FileStamp?]?
        var lastCheck: ContinuousClock.Instant
    }

    private let settings: TLSServerSettings
    private let checkInterval: Duration
    private let logger: Logger
    private let state: Mutex<State>

    /// Loads the files now; an error names the web-config field (the caller exits on it).
    public init(settings: TLSServerSettings, logger: Logger, checkInterval: Duration = .seconds(1)) throws(WebConfigError) {
        self.settings = settings
        self.checkInterval = checkInterval
        self.logger = logger
        // Stamps first: a file replaced while it is being read is then seen as changed at the next check.
        let stamps = FileStamp.of(settings.watchedFiles)
        let built = try ServerTLSContextFactory.make(settings)
        state = Mutex(State(built: built, stamps: stamps, rejected: nil, lastCheck: .now))
    }

    /// The context for a connection accepted now, reloaded first if the files changed.
    public func current(now: ContinuousClock.Instant = .now) -> ServerTLSContextFactory.Built {
        state.withLock { state in
            guard !settings.watchedFiles.isEmpty, now - state.lastCheck >= checkInterval else { return state.built }
            state.lastCheck = now
            let stamps = FileStamp.of(settings.watchedFiles)
            guard stamps != state.stamps, stamps != state.rejected else { return state.built }
            do {
                state.built = try ServerTLSContextFactory.make(settings)
                state.stamps = stamps
                state.rejected = nil
                logger.info("reloaded the HTTPS certificate", metadata: ["files": "\(settings.watchedFiles.joined(separator: ","))"])
            } catch {
                state.rejected = stamps
                logger.error("changed HTTPS certificate files do not load; still serving the previous certificate",
                             metadata: ["error": "\(error)"])
            }
            return state.built
        }
    }

    /// A server-side TLS handler for one new connection, with the current context.
    func makeHandler() -> NIOSSLServerHandler {
        let built = current()
        guard built.acceptAnyClientCertificate else { return NIOSSLServerHandler(context: built.context) }
        // RequestClientCert / RequireAnyClientCert: whether a certificate is required is BoringSSL's verify mode;
        // what it is signed by does not matter, as in Go.
        return NIOSSLServerHandler(context: built.context, customVerificationCallback: { _, promise in
            promise.succeed(.certificateVerified)
        })
    }
}
