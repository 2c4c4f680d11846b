import ArgumentParser
import ClusterModel
import Exposition
import Foundation
import HTTPAPI
import Logging
import ValkeyConnection
import WebConfig

/// Command-line flags. Each can also be set from the environment variable named in its help; a flag
/// wins over the environment, which wins over the default. Passwords are never flags: a flag is visible
/// to every user of the host in the process list.
struct ExporterOptions: ParsableArguments {
    @Option(name: .customLong("valkey-address"), help: ArgumentHelp(
        "Seed node(s), host:port[,host:port...]; any one that answers is enough. IPv6 as [::1]:6379. Env VALKEY_ADDRESS. Default 127.0.0.1:6379.",
        valueName: "host:port[,...]"))
    var valkeyAddress: String?

    @Option(name: .customLong("valkey-username"), help: "ACL user name. Env VALKEY_USERNAME. Default: the 'default' user.")
    var valkeyUsername: String?

    @Option(name: .customLong("valkey-password-file"), help: ArgumentHelp(
        "File whose content (trailing newline removed) is the password. Env VALKEY_PASSWORD_FILE; or put the password itself in env VALKEY_PASSWORD.",
        valueName: "path"))
    var valkeyPasswordFile: String?

    @Flag(name: .customLong("valkey-tls"), help: "Connect to every node with TLS (implied by any --valkey-tls-* option). Env VALKEY_TLS=true. Never falls back to plaintext.")
    var valkeyTLS = false

    @Option(name: .customLong("valkey-tls-ca-file"), help: ArgumentHelp("PEM CA certificate(s) that sign the nodes' certificates; default: the system trust store. Env VALKEY_TLS_CA_FILE.", valueName: "path"))
    var valkeyTLSCAFile: String?

    @Option(name: .customLong("valkey-tls-cert-file"), help: ArgumentHelp("PEM client certificate for mutual TLS (with --valkey-tls-key-file). Env VALKEY_TLS_CERT_FILE.", valueName: "path"))
    var valkeyTLSCertFile: String?

    @Option(name: .customLong("valkey-tls-key-file"), help: ArgumentHelp("Unencrypted PEM private key of the client certificate. Env VALKEY_TLS_KEY_FILE.", valueName: "path"))
    var valkeyTLSKeyFile: String?

    @Option(name: .customLong("valkey-tls-server-name"), help: "Name to send with SNI and to verify every node's certificate against, instead of the node's address. Env VALKEY_TLS_SERVER_NAME.")
    var valkeyTLSServerName: String?

    @Option(name: .customLong("valkey-tls-min-version"), help: "Lowest TLS version offered: 1.2 or 1.3. Env VALKEY_TLS_MIN_VERSION. Default 1.2.")
    var valkeyTLSMinVersion: String?

    @Flag(name: .customLong("valkey-tls-insecure-skip-verify"), help: "Do not verify the nodes' certificates (testing only; logged as a warning at start). Env VALKEY_TLS_INSECURE_SKIP_VERIFY=true.")
    var valkeyTLSInsecureSkipVerify = false

    @Option(name: .customLong("listen-address"), help: "HTTP listen address host:port. Env LISTEN_ADDRESS. Default 127.0.0.1:9839 (loopback only).")
    var listenAddress: String?

    @Option(name: .customLong("web-config-file"), help: ArgumentHelp(
        "Prometheus exporter-toolkit web config (YAML): tls_server_config (HTTPS, client certificates), basic_auth_users (bcrypt), http_server_config.headers. Certificate files are re-read when they change. Env WEB_CONFIG_FILE. Default: plain HTTP, no auth.",
        valueName: "path"))
    var webConfigFile: String?

    @Option(name: .customLong("max-http-connections"), help: "Open HTTP connections served at once; further clients wait in the listen backlog. Env MAX_HTTP_CONNECTIONS. Default 128.")
    var maxHTTPConnections: String?

    @Option(name: .customLong("scrape-interval"), help: "Time between collection cycles (15s, 500ms, 1m). Env SCRAPE_INTERVAL. Default 15s.")
    var scrapeInterval: String?

    @Option(name: .customLong("connect-timeout"), help: "Deadline for connecting to a node, handshake included. Env CONNECT_TIMEOUT. Default 2s.")
    var connectTimeout: String?

    @Option(name: .customLong("command-timeout"), help: "Deadline for a node to answer the commands of one cycle. Env COMMAND_TIMEOUT. Default 5s.")
    var commandTimeout: String?

    @Option(name: .customLong("slot-stats-cache-ttl"), help: "How long /api/cluster/slot-stats answers are cached per range (0 disables). Env SLOT_STATS_CACHE_TTL. Default 30s.")
    var slotStatsCacheTTL: String?

    @Option(name: .customLong("slot-metrics"), help: ArgumentHelp(
        "Per-slot series on /metrics: all, none, or top:N[:keys|cpu|network] (the N slots ranking highest). Env SLOT_METRICS. Default all.",
        valueName: "all|none|top:N"))
    var slotMetrics: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical. Env LOG_LEVEL. Default info.")
    var logLevel: String?

    @Option(name: .customLong("log-format"), help: "logfmt or json. Env LOG_FORMAT. Default logfmt.")
    var logFormat: String?
}

/// Validated settings, resolved from flags, environment and defaults.
struct ExporterSettings: Sendable {
    var seeds: [NodeAddress]
    var username: String?
    var password: Secret?
    /// Where the password came from, when a file: SIGHUP re-reads it.
    var passwordFile: String?
    var tls: ValkeyTLS?
    var listenHost: String
    var listenPort: Int
    /// The `--web-config-file`, validated (its certificate files loaded once), or nil for plain HTTP without auth.
    var webConfig: WebConfig?
    var maxHTTPConnections: Int
    var scrapeInterval: Duration
    var connectTimeout: Duration
    var commandTimeout: Duration
    var slotStatsCacheTTL: Duration
    var slotMetrics: SlotMetricsSelection
    var logLevel: Logger.Level
    var logFormat: LogFormat
}

/// A bad setting: names the flag and the environment variable so the user knows what to fix.
struct SettingsError: Error, CustomStringConvertible {
    var description: String
}

extension ExporterOptions {
    func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ExporterSettings {
        func value(_ flag: String?, _ env: String) -> String? {
            if let flag { return flag }
            if let fromEnv = environment[env], !fromEnv.isEmpty { return fromEnv }
            return nil
        }
        func duration(_ flag: String?, _ name: String, _ env: String, default fallback: Duration, allowZero: Bool = false) throws -> Duration {
            guard let text = value(flag, env) else { return fallback }
            guard let parsed = DurationParsing.parse(text), allowZero || parsed > .zero else {
                throw SettingsError(description: "--\(name) (\(env)): '\(text)' is not a valid duration; use e.g. 15s, 500ms, 1m")
            }
            return parsed
        }

        let addressText = value(valkeyAddress, "VALKEY_ADDRESS") ?? "127.0.0.1:6379"
        var seeds: [NodeAddress] = []
        for part in addressText.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            do {
                seeds.append(try NodeAddress.parse(hostPort: trimmed))
            } catch {
                throw SettingsError(description: "--valkey-address (VALKEY_ADDRESS): '\(trimmed)': \(error)")
            }
        }

        let listenText = value(listenAddress, "LISTEN_ADDRESS") ?? "127.0.0.1:9839"
        let listen: NodeAddress
        do { listen = try NodeAddress.parse(hostPort: listenText) } catch {
            throw SettingsError(description: "--listen-address (LISTEN_ADDRESS): '\(listenText)': \(error)")
        }

        let maxConnectionsText = value(maxHTTPConnections, "MAX_HTTP_CONNECTIONS") ?? "128"
        guard let maxConnections = Int(maxConnectionsText), (1...65536).contains(maxConnections) else {
            throw SettingsError(description: "--max-http-connections (MAX_HTTP_CONNECTIONS): '\(maxConnectionsText)' is not a whole number in 1...65536")
        }

        let levelText = value(logLevel, "LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: levelText.lowercased()) else {
            throw SettingsError(description: "--log-level (LOG_LEVEL): '\(levelText)' is not one of trace, debug, info, notice, warning, error, critical")
        }
        let formatText = value(logFormat, "LOG_FORMAT") ?? "logfmt"
        guard let format = LogFormat(rawValue: formatText.lowercased()) else {
            throw SettingsError(description: "--log-format (LOG_FORMAT): '\(formatText)' is not one of logfmt, json")
        }

        let interval = try duration(scrapeInterval, "scrape-interval", "SCRAPE_INTERVAL", default: .seconds(15))
        let connect = try duration(connectTimeout, "connect-timeout", "CONNECT_TIMEOUT", default: .seconds(2))
        let command = try duration(commandTimeout, "command-timeout", "COMMAND_TIMEOUT", default: .seconds(5))
        let slotText = value(slotMetrics, "SLOT_METRICS") ?? "all"
        guard let slots = SlotMetricsSelection(parsing: slotText) else {
            throw SettingsError(description: "--slot-metrics (SLOT_METRICS): '\(slotText)' is not all, none or top:N[:keys|cpu|network] with N in 1...16384")
        }
        func enabled(_ flag: Bool, _ env: String) throws -> Bool {
            if flag { return true }
            guard let text = environment[env], !text.isEmpty else { return false }
            switch text.lowercased() {
            case "1", "true", "yes", "on": return true
            case "0", "false", "no", "off": return false
            default: throw SettingsError(description: "\(env): '\(text)' is not true or false")
            }
        }
        let tlsFiles = (ca: value(valkeyTLSCAFile, "VALKEY_TLS_CA_FILE"), cert: value(valkeyTLSCertFile, "VALKEY_TLS_CERT_FILE"),
                        key: value(valkeyTLSKeyFile, "VALKEY_TLS_KEY_FILE"))
        let serverName = value(valkeyTLSServerName, "VALKEY_TLS_SERVER_NAME")
        let minVersionText = value(valkeyTLSMinVersion, "VALKEY_TLS_MIN_VERSION")
        let insecure = try enabled(valkeyTLSInsecureSkipVerify, "VALKEY_TLS_INSECURE_SKIP_VERIFY")
        let tlsWanted = try enabled(valkeyTLS, "VALKEY_TLS") || insecure || tlsFiles.ca != nil || tlsFiles.cert != nil
            || tlsFiles.key != nil || serverName != nil || minVersionText != nil
        var tls: ValkeyTLS?
        if tlsWanted {
            guard let minVersion = ValkeyTLS.MinimumVersion(rawValue: minVersionText ?? "1.2") else {
                throw SettingsError(description: "--valkey-tls-min-version (VALKEY_TLS_MIN_VERSION): '\(minVersionText ?? "")' is not 1.2 or 1.3")
            }
            do {
                tls = try ValkeyTLS(caFile: tlsFiles.ca, certificateFile: tlsFiles.cert, keyFile: tlsFiles.key,
                                    serverName: serverName, minimumVersion: minVersion, insecureSkipVerify: insecure)
            } catch {
                let flag: String
                switch error.field {
                case .caFile: flag = "--valkey-tls-ca-file (VALKEY_TLS_CA_FILE)"
                case .certificateFile: flag = "--valkey-tls-cert-file (VALKEY_TLS_CERT_FILE)"
                case .keyFile: flag = "--valkey-tls-key-file (VALKEY_TLS_KEY_FILE)"
                case .serverName: flag = "--valkey-tls-server-name (VALKEY_TLS_SERVER_NAME)"
                }
                throw SettingsError(description: "\(flag): \(error.message)")
            }
        }

        let webConfig = try loadWebConfig(value(webConfigFile, "WEB_CONFIG_FILE"))

        let cacheTTL = try duration(slotStatsCacheTTL, "slot-stats-cache-ttl", "SLOT_STATS_CACHE_TTL", default: .seconds(30), allowZero: true)

        return ExporterSettings(
            seeds: seeds, username: value(valkeyUsername, "VALKEY_USERNAME"),
            password: try readPassword(environment: environment),
            passwordFile: valkeyPasswordFile ?? environment["VALKEY_PASSWORD_FILE"].flatMap { $0.isEmpty ? nil : $0 },
            tls: tls,
            listenHost: listen.host, listenPort: listen.port, webConfig: webConfig, maxHTTPConnections: maxConnections, scrapeInterval: interval,
            connectTimeout: connect, commandTimeout: command, slotStatsCacheTTL: cacheTTL, slotMetrics: slots,
            logLevel: level, logFormat: format)
    }

    /// Parses the web config and loads its certificate and key once, so a bad file stops the start with a message
    /// naming the field. Messages never quote hashes or keys.
    private func loadWebConfig(_ path: String?) throws -> WebConfig? {
        guard let path else { return nil }
        do {
            let config = try WebConfig.load(path: path)
            if let tls = config.tls { _ = try ServerTLSContextFactory.make(tls) }
            return config
        } catch {
            throw SettingsError(description: "--web-config-file (WEB_CONFIG_FILE): '\(path)': \(error)")
        }
    }

    /// The password from `--valkey-password-file` / `VALKEY_PASSWORD_FILE`, else `VALKEY_PASSWORD`.
    /// Error messages name the file, never its content.
    func readPassword(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Secret? {
        let file = valkeyPasswordFile ?? environment["VALKEY_PASSWORD_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw SettingsError(description: "--valkey-password-file (VALKEY_PASSWORD_FILE): cannot read '\(file)'")
            }
            guard var text = String(data: data, encoding: .utf8) else {
                throw SettingsError(description: "--valkey-password-file (VALKEY_PASSWORD_FILE): '\(file)' is not UTF-8 text")
            }
            while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
            guard !text.isEmpty else {
                throw SettingsError(description: "--valkey-password-file (VALKEY_PASSWORD_FILE): '\(file)' is empty")
            }
            return Secret(text)
        }
        if let password = environment["VALKEY_PASSWORD"], !password.isEmpty { return Secret(password) }
        return nil
    }
}
