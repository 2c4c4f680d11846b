import Hummingbird
import Logging

/// Turns every error and every unmatched route into the API's JSON error envelope, so a client never
/// gets an HTML or empty body: 404 for unknown paths, 405 for a known path with the wrong method,
/// 500 (without internals) for anything unexpected.
public struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            if error.status == .notFound {
                if Self.isKnownPath(request.uri.path), request.method != .get {
                    return APIResponse.error(.methodNotAllowed, code: "method_not_allowed",
                                             message: "only GET is supported on this path", headers: [.allow: "GET"])
                }
                return APIResponse.error(.notFound, code: "not_found", message: "no such endpoint; see GET / for the list")
            }
            return APIResponse.error(error.status, code: "http_\(error.status.code)", message: error.status.reasonPhrase)
        } catch {
            context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(type(of: error))"])
            return APIResponse.error(.internalServerError, code: "internal_error", message: "internal error")
        }
    }

    static func isKnownPath(_ path: String) -> Bool {
        let fixed: Set<String> = ["/", "/healthz", "/readyz", "/api/cluster/nodes", "/api/cluster/nodes/metrics", "/api/cluster/slot-stats", "/metrics"]
        if fixed.contains(path) { return true }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 5 && parts[1] == "api" && parts[2] == "nodes" && parts[4] == "metrics"
    }
}
