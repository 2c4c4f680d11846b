import Exposition
import Hummingbird
import NIOCore

/// `GET /metrics`: the pre-rendered exposition of the latest cycle, in the format and encoding the client
/// asks for. The handler copies a reference to bytes rendered once per cycle; it never renders, compresses
/// or waits for Valkey.
public func addMetricsRoute(to router: Router<some RequestContext>, exposition: ExpositionStore, retryAfterSeconds: Int) {
    router.get("/metrics") { request, _ in
        guard let rendered = exposition.rendered else {
            return APIResponse.error(
                .serviceUnavailable, code: "not_ready", message: "the first collection cycle has not finished yet",
                headers: [.retryAfter: String(retryAfterSeconds)])
        }
        let format = ExpositionFormat.negotiate(accept: request.headers[.accept])
        let gzip = ExpositionFormat.acceptsGzip(request.headers[.acceptEncoding]) && rendered.gzip[format] != nil
        var headers: HTTPFields = [
            .contentType: format.contentType,
            .vary: "Accept, Accept-Encoding",
            .cacheControl: "no-store",
        ]
        if gzip { headers[.contentEncoding] = "gzip" }
        return Response(status: .ok, headers: headers, body: .init(contentsOf: rendered.body(format, gzip: gzip)))
    }
}
