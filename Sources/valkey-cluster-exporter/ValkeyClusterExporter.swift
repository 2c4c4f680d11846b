import ArgumentParser
import Collector
import Exposition
import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdCore
import Logging
import ServiceLifecycle
import ValkeyConnection

/// The exporter's version, reported by `/` and `--version`.
let exporterVersion = "0.1.0"

@main
struct ValkeyClusterExporter: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "valkey-cluster-exporter",
        abstract: "Watches a whole Valkey cluster from one process and serves its metrics as JSON.",
        discussion: """
            Discovers every node from the seed address(es) with CLUSTER NODES, collects each node on a \
            schedule (INFO, CLUSTER SLOT-STATS) and serves the latest collection from memory. Every flag can \
            also be set from the environment variable named in its help; flags win.
            """,
        version: exporterVersion)

    @OptionGroup var options: ExporterOptions

    func run() async throws {
        MemoryTuning.apply()
        let settings: ExporterSettings
        do {
            settings = try options.resolve()
        } catch let error as SettingsError {
            throw ValidationError(error.description)
        }
        let format = settings.logFormat
        let level = settings.logLevel
        LoggingSystem.bootstrap { label in LineLogHandler(label: label, level: level, format: format) }
        let logger = Logger(label: "valkey-cluster-exporter")

        if settings.commandTimeout + settings.connectTimeout > settings.scrapeInterval {
            logger.warning("connect-timeout + command-timeout exceed scrape-interval: a hung node can delay cycles",
                           metadata: ["scrape_interval": "\(settings.scrapeInterval)"])
        }

        if settings.tls?.insecureSkipVerify == true {
            logger.warning("TLS certificate verification is OFF (--valkey-tls-insecure-skip-verify): any server can impersonate the nodes")
        }
        let web: WebSecuritySetup
        do {
            web = try WebSecuritySetup(settings.webConfig, listenHost: settings.listenHost, logger: logger)
        } catch {
            // The files were loaded a moment ago in resolve(); they changed in between.
            logger.critical("web config unusable", metadata: ["error": "\(error)"])
            throw ExitCode(64)
        }
        let store = SnapshotStore()
        let connection = ValkeyConnectionConfiguration(
            username: settings.username, password: settings.password,
            connectTimeout: settings.connectTimeout, commandTimeout: settings.commandTimeout, tls: settings.tls)
        let exposition = ExpositionStore(renderer: MetricsRenderer(slotMetrics: settings.slotMetrics, version: exporterVersion))
        let collector = ClusterCollector(
            // SLOT-STATS is collected even with --slot-metrics none: /api/cluster/slot-stats serves it.
            configuration: CollectorConfiguration(seeds: settings.seeds, interval: settings.scrapeInterval, connection: connection),
            store: store, logger: logger, onSnapshot: { exposition.update($0) })
        let retryAfter = max(1, min(60, Int(settings.scrapeInterval.seconds.rounded(.up))))
        let api = APIContext(store: store, slotStatsCacheTTL: settings.slotStatsCacheTTL,
                             retryAfterSeconds: retryAfter, version: exporterVersion)
        let app = Application(
            router: buildRouter(api: api, exposition: exposition, security: web.security),
            // Idle keep-alive connections are closed after a minute, so idle clients cannot pin file descriptors;
            // the guard answers parser errors, CONNECT and HTTP/1.0 the way the API promises (JSON, then close).
            // With a web config's tls_server_config, TLS sits in front of all of it, with the certificate of the moment.
            server: .guardedHTTP1(configuration: .init(idleTimeout: .seconds(60)), tls: web.tls),
            // A cap on open HTTP connections bounds the descriptors and memory that clients can hold; beyond it,
            // new clients wait in the kernel's listen backlog instead of being served half-way.
            configuration: .init(address: .hostname(settings.listenHost, port: settings.listenPort),
                                 serverName: "valkey-cluster-exporter",
                                 availableConnectionsDelegate: MaximumAvailableConnections(settings.maxHTTPConnections)),
            onServerRunning: { channel in
                logger.info("listening", metadata: ["address": "\(channel.localAddress?.description ?? "?")",
                                                    "scheme": "\(web.tls == nil ? "http" : "https")"])
            },
            logger: logger)

        logger.info("starting", metadata: [
            "version": "\(exporterVersion)",
            "seeds": "\(settings.seeds.map(\.description).joined(separator: ","))",
            "scrape_interval": "\(settings.scrapeInterval)",
            "slot_metrics": "\(settings.slotMetrics)",
            "auth": "\(settings.password == nil ? "none" : (settings.username ?? "default"))",
            "tls": "\(settings.tls == nil ? "off" : (settings.tls!.insecureSkipVerify ? "on, unverified" : "on"))",
        ])
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: collector),
                    .init(service: PasswordReloader(options: options, passwordFile: settings.passwordFile,
                                                    collector: collector, logger: logger)),
                    .init(service: app, successTerminationBehavior: .gracefullyShutdownGroup),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do {
            try await group.run()
        } catch {
            // Typically the listen address is taken or not ours; say which address, then exit non-zero.
            logger.critical("exporter failed", metadata: [
                "listen_address": "\(settings.listenHost):\(settings.listenPort)", "error": "\(error)",
            ])
            throw ExitCode.failure
        }
        logger.info("stopped")
    }
}
