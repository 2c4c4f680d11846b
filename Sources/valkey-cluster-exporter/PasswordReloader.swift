import Collector
import Logging
import ServiceLifecycle
import UnixSignals
import ValkeyConnection

/// Re-reads the password file on SIGHUP, so a rotated password needs no restart. Connections that are open and
/// healthy stay open (they are authenticated already); new ones, and nodes that refused the old password, use the
/// new one from the next cycle. A file that cannot be read keeps the old password and says so, without content.
struct PasswordReloader: Service, CustomStringConvertible {
    let options: ExporterOptions
    let passwordFile: String?
    let collector: ClusterCollector
    let logger: Logger

    /// service-lifecycle logs each service by its description at debug level; the default one would print every
    /// field of `options`, and so any option added later, whatever it holds.
    var description: String { "PasswordReloader" }

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            guard let passwordFile else {
                logger.info("SIGHUP: no --valkey-password-file to re-read; the password comes from the environment or is unset")
                continue
            }
            do {
                let password = try options.readPassword()
                await collector.updatePassword(password)
                logger.info("SIGHUP: password file re-read; new connections use it", metadata: ["file": "\(passwordFile)"])
            } catch {
                // SettingsError names the file and the problem, never the content.
                logger.error("SIGHUP: password file not re-read; keeping the previous password", metadata: ["error": "\(error)"])
            }
        }
    }
}
