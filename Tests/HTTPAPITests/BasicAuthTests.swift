import Collector
import Foundation
import Hummingbird
import HummingbirdBcrypt
import HummingbirdTesting
import Testing
import WebConfig
@testable import HTTPAPI

/// Basic auth from the web config: the credential check itself, and the router's answers with and without it.
struct BasicAuthTests {
    /// Cost 4, the lowest bcrypt allows, keeps the tests fast; the code path is the same at any cost.
    static let aliceHash = BcryptHash(Bcrypt.hash("wonderland", cost: 4))!
    static let bobHash = BcryptHash(Bcrypt.hash("builder", cost: 5))!
    static let users = [BasicAuthUser(name: "alice", hash: aliceHash), BasicAuthUser(name: "bob", hash: bobHash)]

    static func header(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    @Test func rightCredentialsPassOthersFail() async {
        let auth = BasicAuthenticator(users: Self.users)
        #expect(await auth.authenticate(authorization: Self.header("alice", "wonderland")))
        #expect(await auth.authenticate(authorization: Self.header("bob", "builder")))
        #expect(await auth.authenticate(authorization: "basic " + Data("bob:builder".utf8).base64EncodedString()))
        #expect(!(await auth.authenticate(authorization: Self.header("alice", "builder"))))
        #expect(!(await auth.authenticate(authorization: Self.header("alice", "wonderland2"))))
        #expect(!(await auth.authenticate(authorization: Self.header("Alice", "wonderland"))))
        #expect(!(await auth.authenticate(authorization: Self.header("carol", "wonderland"))), "another user's password")
        // bob's hash has the highest cost, so unknown users are checked against it: his password must not let them in.
        #expect(!(await auth.authenticate(authorization: Self.header("carol", "builder"))), "the decoy hash's password")
        #expect(!(await auth.authenticate(authorization: Self.header("", ""))))
        #expect(!(await auth.authenticate(authorization: nil)))
        #expect(!(await auth.authenticate(authorization: "Bearer abc")))
        #expect(!(await auth.authenticate(authorization: "Basic !!!notbase64")))
        #expect(!(await auth.authenticate(authorization: "Basic " + Data("alicewonderland".utf8).base64EncodedString())))
        #expect(!(await auth.authenticate(authorization: Self.header("alice", "wonderland\u{0}x"))))
        #expect(!(await auth.authenticate(authorization: Self.header("alice", String(repeating: "w", count: 300)))))
    }

    @Test func passwordMaySplitOnlyAtTheFirstColon() async throws {
        let hash = try #require(BcryptHash(Bcrypt.hash("a:b", cost: 4)))
        let auth = BasicAuthenticator(users: [BasicAuthUser(name: "u", hash: hash)])
        #expect(await auth.authenticate(authorization: Self.header("u", "a:b")))
    }

    @Test func constantTimeEquality() {
        #expect(ConstantTime.equal(Array("alice".utf8), Array("alice".utf8)))
        #expect(!ConstantTime.equal(Array("alice".utf8), Array("alicf".utf8)))
        #expect(!ConstantTime.equal(Array("alice".utf8), Array("alice2".utf8)))
        #expect(!ConstantTime.equal([], Array("a".utf8)))
        #expect(ConstantTime.equal([], []))
    }

    @Test func cacheKeepsSuccessesForTheirTTLOnly() {
        let cache = VerificationCache(ttl: .seconds(60), capacity: 2)
        let start = ContinuousClock.now
        let a = cache.key(user: Array("a".utf8), password: Array("bc".utf8))
        #expect(a != cache.key(user: Array("ab".utf8), password: Array("c".utf8)), "user/password boundary is part of the key")
        #expect(a.count == 32)
        cache.insert(a, now: start)
        #expect(cache.contains(a, now: start + .seconds(59)))
        #expect(!cache.contains(a, now: start + .seconds(61)))
        let b = cache.key(user: [1], password: [2]), c = cache.key(user: [3], password: [4]), d = cache.key(user: [5], password: [6])
        cache.insert(b, now: start)
        cache.insert(c, now: start + .seconds(1))
        cache.insert(d, now: start + .seconds(2))  // full: the oldest (b) goes
        #expect(!cache.contains(b, now: start + .seconds(3)))
        #expect(cache.contains(c, now: start + .seconds(3)) && cache.contains(d, now: start + .seconds(3)))
    }

    func withApp(_ security: HTTPSecurity, _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let api = APIContext(store: SnapshotStore(), retryAfterSeconds: 7, version: "test", hostProcessorCount: 4)
        try await Application(router: buildRouter(api: api, security: security)).test(.router, body)
    }

    @Test func everyPathNeedsCredentials() async throws {
        let security = HTTPSecurity(authenticator: BasicAuthenticator(users: Self.users),
                                    headers: [ResponseHeader(name: "X-Frame-Options", value: "deny")])
        try await withApp(security) { client in
            for path in ["/healthz", "/metrics", "/", "/api/cluster/nodes", "/no/such/path"] {
                for authorization in [nil, Self.header("alice", "nope"), Self.header("mallory", "wonderland")] {
                    var headers = HTTPFields()
                    if let authorization { headers[.authorization] = authorization }
                    try await client.execute(uri: path, method: .get, headers: headers) { response in
                        #expect(response.status == .unauthorized, "\(path)")
                        #expect(response.headers[.wwwAuthenticate] == #"Basic realm="valkey-cluster-exporter""#)
                        #expect(response.headers[.contentType] == "application/json")
                        #expect(response.headers[HTTPFields.Element.Name("X-Frame-Options")!] == "deny")
                        let body = try #require(JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                        #expect(body["status"] as? String == "error")
                        #expect((body["error"] as? [String: Any])?["code"] as? String == "unauthorized")
                        #expect(!String(buffer: response.body).contains("nope"))
                    }
                }
            }
            try await client.execute(uri: "/healthz", method: .get, headers: [.authorization: Self.header("alice", "wonderland")]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[HTTPFields.Element.Name("X-Frame-Options")!] == "deny")
            }
            try await client.execute(uri: "/no/such/path", method: .get, headers: [.authorization: Self.header("bob", "builder")]) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[HTTPFields.Element.Name("X-Frame-Options")!] == "deny")
            }
        }
    }

    @Test func headersWithoutAuth() async throws {
        let security = HTTPSecurity(headers: [ResponseHeader(name: "Content-Security-Policy", value: "default-src 'none'")])
        try await withApp(security) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[HTTPFields.Element.Name("Content-Security-Policy")!] == "default-src 'none'")
            }
        }
    }
}
