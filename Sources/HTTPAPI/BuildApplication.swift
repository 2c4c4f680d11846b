import Exposition
import Hummingbird
import Logging

/// Builds the HTTP router: extra headers and JSON errors around everything, then basic auth when the web config
/// has users, then the JSON API and `/metrics` (when an exposition store is given).
public func buildRouter(api: APIContext, exposition: ExpositionStore? = nil, security: HTTPSecurity = .none) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    // Outermost, so that error answers (401, 404, 500) carry the configured headers too.
    if !security.headers.isEmpty {
        router.add(middleware: ResponseHeadersMiddleware(headers: security.headers))
    }
    router.add(middleware: JSONErrorMiddleware())
    // Before any route: an unknown path without credentials is a 401, not a 404 that would map the API to strangers.
    if let authenticator = security.authenticator {
        router.add(middleware: BasicAuthMiddleware(authenticator: authenticator))
    }
    addAPIRoutes(to: router, context: api)
    if let exposition {
        addMetricsRoute(to: router, exposition: exposition, retryAfterSeconds: api.retryAfterSeconds)
    }
    return router
}
