import Hummingbird
import WebConfig

/// Adds the web config's `http_server_config.headers` to every response the router produces (errors, 401s and
/// 404s included), replacing a header of the same name.
public struct ResponseHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    private let fields: [(HTTPFields.Element.Name, String)]

    /// Headers whose names are not valid HTTP field names are skipped (the web-config parser admits none).
    /// (`HTTPFields.Element` is HTTPTypes' `HTTPField`, which Hummingbird does not re-export by name.)
    public init(headers: [ResponseHeader]) {
        fields = headers.compactMap { header in HTTPFields.Element.Name(header.name).map { ($0, header.value) } }
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        for (name, value) in fields {
            response.headers[name] = value
        }
        return response
    }
}
