import Hummingbird
import Logging

/// Lets a request through only with the basic-auth credentials of a web-config user; otherwise answers 401 with
/// `WWW-Authenticate` and the API's JSON error envelope. Applies to every path, as exporter-toolkit does: the
/// metrics, the JSON API, and the health endpoints alike.
public struct BasicAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The realm browsers and tools show when they ask for a password.
    static var challenge: String { #"Basic realm="valkey-cluster-exporter""# }

    let authenticator: BasicAuthenticator

    public init(authenticator: BasicAuthenticator) {
        self.authenticator = authenticator
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if await authenticator.authenticate(authorization: request.headers[.authorization]) {
            return try await next(request, context)
        }
        // Neither the user name nor anything else from the Authorization header is logged: people type passwords
        // into user-name fields.
        context.logger.debug("request refused: no valid basic-auth credentials",
                             metadata: ["path": "\(request.uri.path)", "credentials": "\(request.headers[.authorization] == nil ? "missing" : "wrong")"])
        return APIResponse.error(.unauthorized, code: "unauthorized",
                                 message: "this exporter requires HTTP basic authentication with a configured user",
                                 headers: [.wwwAuthenticate: Self.challenge])
    }
}
