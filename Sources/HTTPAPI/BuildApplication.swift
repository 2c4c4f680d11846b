import Hummingbird
import Logging

/// Builds the HTTP application: JSON errors, the JSON API, and any extra routes (such as `/metrics`).
public func buildRouter(api: APIContext) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: JSONErrorMiddleware())
    addAPIRoutes(to: router, context: api)
    return router
}
