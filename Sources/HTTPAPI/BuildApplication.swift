import Exposition
import Hummingbird
import Logging

/// Builds the HTTP router: JSON errors, the JSON API, and `/metrics` when an exposition store is given.
public func buildRouter(api: APIContext, exposition: ExpositionStore? = nil) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: JSONErrorMiddleware())
    addAPIRoutes(to: router, context: api)
    if let exposition {
        addMetricsRoute(to: router, exposition: exposition, retryAfterSeconds: api.retryAfterSeconds)
    }
    return router
}
