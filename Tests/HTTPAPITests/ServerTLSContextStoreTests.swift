import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Testing
import WebConfig
@testable import HTTPAPI

/// Certificate rotation of the HTTPS listener: the store rebuilds its context when the files change, and keeps
/// the previous one when the new files do not load. Uses the test certificates of scripts/gen-certs.sh (openssl).
struct ServerTLSContextStoreTests {
    /// The generated certificates, shared by the tests (gen-certs.sh is idempotent and locks its directory).
    static let certificates: URL? = {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let directory = repository.appendingPathComponent(".run/unit-test-certs")
        let process = Process()
        process.executableURL = repository.appendingPathComponent("scripts/gen-certs.sh")
        process.arguments = [directory.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        process.waitUntilExit()
        return process.terminationStatus == 0 ? directory : nil
    }()

    /// A private copy of a certificate pair in a fresh directory, so tests can rewrite it.
    func workspace() throws -> (URL, TLSServerSettings) {
        let source = try #require(Self.certificates, "scripts/gen-certs.sh failed (is openssl installed?)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for name in ["server.pem", "server.key"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: directory.appendingPathComponent(name))
        }
        let settings = TLSServerSettings(certificate: PEMSource(.file(directory.appendingPathComponent("server.pem").path), field: "tls_server_config.cert_file"),
                                         key: PEMSource(.file(directory.appendingPathComponent("server.key").path), field: "tls_server_config.key_file"))
        return (directory, settings)
    }

    func replace(_ name: String, in directory: URL, with source: String) throws {
        let data = try Data(contentsOf: try #require(Self.certificates).appendingPathComponent(source))
        // Write-then-rename, as rotation tools do.
        let temporary = directory.appendingPathComponent(".\(name).new")
        try data.write(to: temporary)
        #expect(rename(temporary.path, directory.appendingPathComponent(name).path) == 0)
    }

    @Test func reloadsChangedFilesAndKeepsTheOldContextOnBrokenOnes() throws {
        let (directory, settings) = try workspace()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try ServerTLSContextStore(settings: settings, logger: Logger(label: "test"), checkInterval: .zero)
        let first = ObjectIdentifier(store.current().context)
        #expect(ObjectIdentifier(store.current().context) == first, "unchanged files: same context")

        // A certificate that does not match the key on disk: rejected, the previous context stays.
        try replace("server.pem", in: directory, with: "client.pem")
        #expect(ObjectIdentifier(store.current().context) == first)
        #expect(ObjectIdentifier(store.current().context) == first)

        // The matching key arrives: the new pair is served.
        try replace("server.key", in: directory, with: "client.key")
        let second = ObjectIdentifier(store.current().context)
        #expect(second != first)

        // A file that is gone keeps the context in service too.
        try FileManager.default.removeItem(at: directory.appendingPathComponent("server.key"))
        #expect(ObjectIdentifier(store.current().context) == second)
    }

    @Test func checksAtMostOncePerInterval() throws {
        let (directory, settings) = try workspace()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try ServerTLSContextStore(settings: settings, logger: Logger(label: "test"), checkInterval: .seconds(3600))
        let first = ObjectIdentifier(store.current().context)
        try replace("server.pem", in: directory, with: "wronghost.pem")
        try replace("server.key", in: directory, with: "wronghost.key")
        #expect(ObjectIdentifier(store.current().context) == first)
        #expect(ObjectIdentifier(store.current(now: .now + .seconds(3601)).context) != first)
    }

    @Test func errorsNameTheField() throws {
        let (directory, settings) = try workspace()
        defer { try? FileManager.default.removeItem(at: directory) }
        var missing = settings
        missing.certificate = PEMSource(.file(directory.appendingPathComponent("nope.pem").path), field: "tls_server_config.cert_file")
        #expect(throws: WebConfigError.self) { try ServerTLSContextFactory.make(missing) }
        do { _ = try ServerTLSContextFactory.make(missing) } catch { #expect(error.field == "tls_server_config.cert_file") }

        var keyIsCertificate = settings
        keyIsCertificate.key = PEMSource(.file(directory.appendingPathComponent("server.pem").path), field: "tls_server_config.key_file")
        do { _ = try ServerTLSContextFactory.make(keyIsCertificate) } catch { #expect(error.field == "tls_server_config.key_file") }

        let keyText = try String(contentsOf: directory.appendingPathComponent("server.key"), encoding: .utf8)
        var inlineMismatch = settings
        inlineMismatch.certificate = PEMSource(.file(try #require(Self.certificates).appendingPathComponent("client.pem").path),
                                               field: "tls_server_config.cert_file")
        inlineMismatch.key = PEMSource(.inline(keyText), field: "tls_server_config.key")
        do {
            _ = try ServerTLSContextFactory.make(inlineMismatch)
            Issue.record("a certificate with another key's private key loaded")
        } catch {
            #expect(error.field == "tls_server_config.cert_file")
            #expect(!error.description.contains("PRIVATE KEY") && !error.description.contains(String(keyText.dropFirst(40).prefix(30))))
        }
    }
}
