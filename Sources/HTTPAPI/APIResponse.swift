import ClusterModel
import Foundation
import Hummingbird
import NIOCore

/// The envelope every JSON endpoint uses:
/// `{"status":"success","data":{...},"timestamp":"..."}` or
/// `{"status":"error","error":{"code":"...","message":"..."},"timestamp":"..."}`.
public enum APIResponse {
    /// A 200 response carrying `data`.
    public static func success(_ data: JSONValue, now: Date = Date()) -> Response {
        json(.ok, .object([
            ("status", .string("success")),
            ("data", data),
            ("timestamp", .string(Formatting.iso8601(now))),
        ]))
    }

    /// An error response with a stable machine-readable `code` and a human `message`.
    public static func error(
        _ status: HTTPResponse.Status, code: String, message: String, headers: HTTPFields = [:], now: Date = Date()
    ) -> Response {
        json(status, .object([
            ("status", .string("error")),
            ("error", .object([("code", .string(code)), ("message", .string(message))])),
            ("timestamp", .string(Formatting.iso8601(now))),
        ]), extraHeaders: headers)
    }

    static func json(_ status: HTTPResponse.Status, _ body: JSONValue, extraHeaders: HTTPFields = [:]) -> Response {
        var buffer = ByteBuffer()
        JSONWriter.write(body, into: &buffer)
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]
        headers.append(contentsOf: extraHeaders)
        return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
    }
}
