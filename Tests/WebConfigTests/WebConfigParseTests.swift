import Testing
@testable import WebConfig

/// The web-config parser against the exporter-toolkit format: what it accepts, and that every refusal names the
/// field and never quotes a hash or an inline key.
struct WebConfigParseTests {
    static let hash = "$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG"

    func parse(_ yaml: String) throws -> WebConfig {
        try WebConfig.parse(yaml: yaml, directory: "/etc/exporter")
    }

    func error(_ yaml: String) -> WebConfigError? {
        do {
            _ = try parse(yaml)
            return nil
        } catch {
            return error as? WebConfigError
        }
    }

    @Test func emptyFileMeansPlainHTTPWithoutAuth() throws {
        for yaml in ["", "# nothing\n", "tls_server_config:\nbasic_auth_users:\n"] {
            let config = try parse(yaml)
            #expect(config.tls == nil && config.users.isEmpty && config.headers.isEmpty && !config.http2Requested)
        }
    }

    @Test func fullTLSSection() throws {
        let config = try parse("""
            tls_server_config:
              cert_file: server.pem
              key_file: /abs/server.key
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: ca.pem
              min_version: TLS13
              max_version: TLS13
              prefer_server_cipher_suites: false
              cipher_suites: []
            """)
        let tls = try #require(config.tls)
        #expect(tls.certificate.path == "/etc/exporter/server.pem")
        #expect(tls.certificate.field == "tls_server_config.cert_file")
        #expect(tls.key.path == "/abs/server.key")
        #expect(tls.clientCA?.path == "/etc/exporter/ca.pem")
        #expect(tls.clientAuth == .requireAndVerifyClientCert)
        #expect(tls.minVersion == .tls13 && tls.maxVersion == .tls13)
        #expect(tls.watchedFiles == ["/etc/exporter/server.pem", "/abs/server.key", "/etc/exporter/ca.pem"])
    }

    @Test func inlinePEMIsNeverPrinted() throws {
        let config = try parse("""
            tls_server_config:
              cert: "-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----"
              key: "-----BEGIN PRIVATE KEY-----\\nSECRETKEYBYTES\\n-----END PRIVATE KEY-----"
            """)
        let tls = try #require(config.tls)
        #expect(tls.watchedFiles.isEmpty)
        for text in ["\(tls.key)", String(reflecting: tls.key), "\(tls)", String(reflecting: tls)] {
            #expect(!text.contains("SECRETKEYBYTES"), "\(text)")
        }
    }

    @Test func clientAuthNames() throws {
        for auth in ClientAuthType.allCases {
            let ca = auth == .noClientCert ? "" : "\n  client_ca_file: ca.pem"
            let config = try parse("tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: \(auth.rawValue)\(ca)\n")
            #expect(config.tls?.clientAuth == auth)
        }
        #expect(ClientAuthType(webConfigName: "RequireClientCert") == .requireAnyClientCert)
        #expect(error("tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: Always\n")?.field
                == "tls_server_config.client_auth_type")
    }

    @Test func usersAndHashes() throws {
        let config = try parse("""
            basic_auth_users:
              alice: \(Self.hash)
              bob: $2b$12$abcdefghijklmnopqrstuu5ZQ4XH3mXoG0D1Sdn3PD4M6xYCo1Ubm
            """)
        #expect(config.users.map(\.name) == ["alice", "bob"])
        #expect(config.users[0].hash.cost == 10 && config.users[1].hash.cost == 12)
        // $2y$ is handed to the verifier as $2b$, the same algorithm under the name it knows.
        #expect(config.users[0].hash.verifierForm == "$2b$" + Self.hash.dropFirst(4))
        #expect(!"\(config.users[0])".contains("$2") && !String(reflecting: config.users[0].hash).contains("X0h1"))
    }

    @Test func badHashNamesTheUserNotTheHash() throws {
        for bad in ["plaintext-password", "$2y$10$short", "$2x$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG",
                    "$2y$03$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG",
                    "$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7z!", "[a, b]"] {
            let failure = try #require(error("basic_auth_users:\n  alice: '\(bad)'\n"))
            #expect(failure.field == "basic_auth_users.alice")
            #expect(!failure.description.contains(bad), "\(failure)")
        }
        #expect(error("basic_auth_users:\n  'a:b': \(Self.hash)\n")?.field == "basic_auth_users.a:b")
        #expect(error("basic_auth_users:\n  alice: \(Self.hash)\n  alice: \(Self.hash)\n")?.field == "basic_auth_users.alice")
    }

    @Test func unknownKeysAreNamed() {
        #expect(error("basic_auth_user:\n  a: b\n")?.field == "basic_auth_user")
        #expect(error("tls_server_config:\n  certfile: x\n")?.field == "tls_server_config.certfile")
        #expect(error("http_server_config:\n  header: {}\n")?.field == "http_server_config.header")
        #expect(error("tls_server_config:\n  cert_file: a\n  cert_file: b\n")?.field == "tls_server_config.cert_file")
    }

    @Test func tlsConsistency() {
        #expect(error("tls_server_config:\n  cert_file: c\n")?.field == "tls_server_config.key_file")
        #expect(error("tls_server_config:\n  key_file: k\n")?.field == "tls_server_config.cert_file")
        #expect(error("tls_server_config:\n  cert_file: c\n  cert: x\n  key_file: k\n")?.field == "tls_server_config.cert_file")
        #expect(error("tls_server_config:\n  cert_file: c\n  key_file: k\n  client_ca_file: ca\n")?.field == "tls_server_config.client_ca_file")
        #expect(error("tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: RequireAndVerifyClientCert\n")?.field
                == "tls_server_config.client_ca_file")
        #expect(error("tls_server_config:\n  min_version: TLS13\n")?.field == "tls_server_config.min_version")
        #expect(error("tls_server_config:\n  cert_file: c\n  key_file: k\n  min_version: TLS11\n")?.field == "tls_server_config.min_version")
        #expect(error("tls_server_config:\n  cert_file: c\n  key_file: k\n  max_version: SSL3\n")?.field == "tls_server_config.max_version")
        #expect(error("tls_server_config:\n  cert_file: c\n  key_file: k\n  min_version: TLS13\n  max_version: TLS12\n")?.field
                == "tls_server_config.max_version")
    }

    @Test func unsupportedSecuritySettingsAreRefusedNotIgnored() {
        let base = "tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: RequireAnyClientCert\n"
        #expect(error(base + "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n")?.field == "tls_server_config.cipher_suites")
        #expect(error(base + "  curve_preferences: [X25519]\n")?.field == "tls_server_config.curve_preferences")
        #expect(error(base + "  client_allowed_sans: [a.example]\n")?.field == "tls_server_config.client_allowed_sans")
        #expect(error("rate_limit:\n  interval: 1s\n  burst: 5\n")?.field == "rate_limit.interval")
        #expect(error("rate_limit:\n  interval: 0\n") == nil)
    }

    @Test func headers() throws {
        let config = try parse("""
            http_server_config:
              http2: true
              headers:
                X-Frame-Options: deny
                X-Content-Type-Options: nosniff
                Strict-Transport-Security: max-age=31536000
                Content-Security-Policy: ""
            """)
        #expect(config.http2Requested)
        #expect(config.headers == [ResponseHeader(name: "X-Frame-Options", value: "deny"),
                                   ResponseHeader(name: "X-Content-Type-Options", value: "nosniff"),
                                   ResponseHeader(name: "Strict-Transport-Security", value: "max-age=31536000")])
        #expect(error("http_server_config:\n  headers:\n    Server: nginx\n")?.field == "http_server_config.headers.Server")
        #expect(error("http_server_config:\n  headers:\n    x-frame-options: deny\n")?.field == "http_server_config.headers.x-frame-options")
        #expect(error("http_server_config:\n  headers:\n    X-Frame-Options: allow\n")?.field == "http_server_config.headers.X-Frame-Options")
        #expect(error("http_server_config:\n  headers:\n    X-XSS-Protection: \"1\\r\\nSet-Cookie: a=b\"\n")?.field
                == "http_server_config.headers.X-XSS-Protection")
        #expect(error("http_server_config:\n  http2: maybe\n")?.field == "http_server_config.http2")
    }

    @Test func badYAMLNeverQuotesTheFile() throws {
        let failure = try #require(error("basic_auth_users:\n  alice: \(Self.hash)\n   bob: [unclosed\n"))
        #expect(failure.field == nil)
        #expect(failure.message.contains("line"))
        #expect(!failure.description.contains("X0h1gDsPsz"), "\(failure)")
        #expect(error("- a\n- b\n") != nil)
    }
}
