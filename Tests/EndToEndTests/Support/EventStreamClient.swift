import Foundation
import Locking

#if canImport(Glibc)
    import Glibc
#endif

/// A curl-style client of a `text/event-stream`: one HTTP/1.1 request on its own socket, the
/// (chunked) body read as it arrives and parsed into events. Reads block a Dispatch thread
/// (``Locking/blocking(on:_:)``), never the cooperative pool; one serial queue per client owns
/// its state.
final class EventStreamClient: @unchecked Sendable {
    struct Event: Sendable, Equatable, CustomStringConvertible {
        var name: String
        var id: String?
        var data: String

        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any] ?? [:] }
        var description: String { "\(name) \(id ?? "-") \(data)" }
    }

    struct ClientError: Error, CustomStringConvertible {
        let description: String
    }

    let status: Int
    let headers: [String: String]
    private let socket: Int32
    private let queue: DispatchQueue
    // Owned by `queue`.
    private var raw: [UInt8]
    private var body: [UInt8] = []
    private var chunked: Bool
    private var ended = false
    private var pending = Event(name: "message", id: nil, data: "")
    private var hasData = false
    /// Comment lines seen (heartbeats).
    private(set) var comments: [String] = []

    /// Connects to 127.0.0.1:`port` and sends `GET path`; returns once the answer's head arrived.
    /// `receiveBuffer` shrinks the socket's receive buffer (a client that never reads fills it soon).
    static func open(port: Int, path: String, headers: [String: String] = [:], receiveBuffer: Int32? = nil) async throws
        -> EventStreamClient
    {
        let queue = DispatchQueue(label: "event-stream-client")
        let (fd, status, head, rest, chunked) = try await blocking(on: queue) {
            () throws -> (Int32, Int, [String: String], [UInt8], Bool) in
            let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw ClientError(description: "socket: \(errno)") }
            if var size = receiveBuffer { setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) }
            var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else {
                Glibc.close(fd)
                throw ClientError(description: "connect to \(port): \(errno)")
            }
            var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAccept: text/event-stream\r\n"
            for (name, value) in headers { request += "\(name): \(value)\r\n" }
            request += "\r\n"
            let bytes = Array(request.utf8)
            guard Glibc.send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else {
                Glibc.close(fd)
                throw ClientError(description: "send: \(errno)")
            }
            var received: [UInt8] = []
            let deadline = Date().addingTimeInterval(30)
            while true {
                if let end = Self.find([13, 10, 13, 10], in: received) {
                    let head = String(decoding: received[..<end], as: UTF8.self).components(separatedBy: "\r\n")
                    let status = Int(head[0].split(separator: " ")[1]) ?? 0
                    var fields: [String: String] = [:]
                    for line in head.dropFirst() {
                        guard let colon = line.firstIndex(of: ":") else { continue }
                        fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                    }
                    return (fd, status, fields, Array(received[(end + 4)...]), fields["transfer-encoding"]?.lowercased() == "chunked")
                }
                guard Date() < deadline, try Self.receive(fd, into: &received) else {
                    Glibc.close(fd)
                    throw ClientError(description: "no answer head from \(path)")
                }
            }
        }
        return EventStreamClient(socket: fd, queue: queue, status: status, headers: head, rest: rest, chunked: chunked)
    }

    private init(socket: Int32, queue: DispatchQueue, status: Int, headers: [String: String], rest: [UInt8], chunked: Bool) {
        self.socket = socket
        self.queue = queue
        self.status = status
        self.headers = headers
        self.raw = rest
        self.chunked = chunked
    }

    deinit { Glibc.close(socket) }

    /// Hangs up, as a client going away does.
    func close() {
        Glibc.shutdown(socket, Int32(SHUT_RDWR))
    }

    /// The next event; nil once the server ended the stream. Throws when none comes in `timeout`.
    func next(timeout: Duration = .seconds(30)) async throws -> Event? {
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        return try await blocking(on: queue) { [self] in
            let deadline = Date().addingTimeInterval(seconds)
            while true {
                if let event = parseEvent() { return event }
                if ended { return nil }
                guard Date() < deadline else { throw ClientError(description: "no event within \(timeout)") }
                if try !Self.receive(socket, into: &raw) { ended = true }
                dechunk()
            }
        }
    }

    /// The next `count` events (fails if the stream ends first).
    func events(_ count: Int, timeout: Duration = .seconds(30)) async throws -> [Event] {
        var events: [Event] = []
        while events.count < count {
            guard let event = try await next(timeout: timeout) else {
                throw ClientError(description: "the stream ended after \(events.count) of \(count) events: \(events)")
            }
            events.append(event)
        }
        return events
    }

    /// Every event until the server ends the stream.
    func rest(timeout: Duration = .seconds(30)) async throws -> [Event] {
        var events: [Event] = []
        while let event = try await next(timeout: timeout) { events.append(event) }
        return events
    }

    /// Reads what has arrived (waiting at most a receive timeout), passing over its events, and
    /// returns every comment seen so far.
    func drainComments() async throws -> [String] {
        try await blocking(on: queue) { [self] in
            if try !Self.receive(socket, into: &raw) { ended = true }
            dechunk()
            while parseEvent() != nil {}
            return comments
        }
    }

    /// Moves whole chunks of `raw` into `body` (or everything, when the body is not chunked).
    private func dechunk() {
        guard chunked else {
            body += raw
            raw = []
            return
        }
        while let lineEnd = Self.find([13, 10], in: raw) {
            let sizeText = String(decoding: raw[..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { return }
            if size == 0 {
                ended = true
                raw = []
                return
            }
            guard raw.count >= lineEnd + 2 + size + 2 else { return }
            body += raw[(lineEnd + 2)..<(lineEnd + 2 + size)]
            raw.removeFirst(lineEnd + 2 + size + 2)
        }
    }

    /// One complete event from `body`, consuming its lines (comments are recorded on the way).
    private func parseEvent() -> Event? {
        while let newline = body.firstIndex(of: 10) {
            let line = String(decoding: body[..<newline], as: UTF8.self)
            body.removeFirst(newline + 1)
            if line.isEmpty {
                defer {
                    pending = Event(name: "message", id: pending.id, data: "")
                    hasData = false
                }
                if hasData { return pending }
                continue
            }
            if line.hasPrefix(":") {
                comments.append(String(line.dropFirst()).trimmingCharacters(in: .whitespaces))
                continue
            }
            let (field, value) =
                line.firstIndex(of: ":").map { (String(line[..<$0]), String(line[line.index(after: $0)...].drop { $0 == " " })) } ?? (
                    line, ""
                )
            switch field {
            case "event": pending.name = value
            case "id": pending.id = value
            case "data":
                pending.data = hasData ? pending.data + "\n" + value : value
                hasData = true
            default: break
            }
        }
        return nil
    }

    /// Appends what the socket has; false at end of stream. A receive timeout is not an error.
    private static func receive(_ fd: Int32, into buffer: inout [UInt8]) throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = Glibc.recv(fd, &chunk, chunk.count, 0)
        if count > 0 {
            buffer += chunk[..<count]
            return true
        }
        if count == 0 || errno == ECONNRESET { return false }
        if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return true }
        throw ClientError(description: "recv: \(errno)")
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
