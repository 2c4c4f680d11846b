import Logging
import RESP

extension ValkeyConnection {
    /// Authenticates and names the connection; returns the RESP version in use.
    ///
    /// `HELLO 3 AUTH user pass SETNAME name` does it in one round trip. Servers that do not know HELLO
    /// (or refuse protocol 3) get the RESP2 sequence `AUTH` + `CLIENT SETNAME` instead. A wrong password
    /// is never retried here: the caller backs off.
    func handshake(configuration: ValkeyConnectionConfiguration, logger: Logger) async throws(ValkeyError) -> Int {
        if configuration.preferRESP3 {
            var hello = ["HELLO", "3"]
            if let password = configuration.password {
                hello += ["AUTH", configuration.username ?? "default", password.value]
            }
            hello += ["SETNAME", configuration.clientName]
            let reply = try await pipeline([hello])[0]
            guard let error = reply.errorMessage else { return 3 }
            if !Self.isUnsupportedHello(error) { throw ValkeyError.fromErrorReply(error) }
            logger.debug("HELLO 3 not supported; using RESP2", metadata: ["node": "\(host):\(port)"])
        }
        var commands: [[String]] = []
        if let password = configuration.password {
            if let username = configuration.username {
                commands.append(["AUTH", username, password.value])
            } else {
                commands.append(["AUTH", password.value])
            }
        }
        commands.append(["CLIENT", "SETNAME", configuration.clientName])
        let replies = try await pipeline(commands)
        if configuration.password != nil, let error = replies[0].errorMessage {
            throw ValkeyError.fromErrorReply(error)
        }
        if let error = replies.last?.errorMessage {
            // Naming the connection is a courtesy to operators; an ACL that forbids it must not stop collection.
            logger.debug("CLIENT SETNAME refused", metadata: ["node": "\(host):\(port)", "error": "\(error)"])
        }
        return 2
    }

    /// Whether a HELLO error means "this server cannot do HELLO 3" rather than "wrong credentials".
    static func isUnsupportedHello(_ error: String) -> Bool {
        error.hasPrefix("NOPROTO") || error.hasPrefix("ERR unknown command")
    }
}
