// The HTTP floor of bench/http: a bare Hummingbird server, built from the same packages as the
// gateway, answering GET /health with the gateway's body and nothing else (no middleware, no
// services). What the gateway costs per request beyond this is Encore's own.
// Usage: http-floor PORT
import Hummingbird

#if canImport(Glibc)
    import Glibc
#endif

guard CommandLine.arguments.count == 2, let port = Int(CommandLine.arguments[1]) else {
    print("usage: http-floor PORT")
    exit(64)
}
let body = ByteBuffer(string: #"{"status":"ok"}"#)
let router = Router()
router.get("health") { _, _ in
    Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: body))
}
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "encore"))
try await app.runService()
