import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// Serves `/metrics` (Prometheus text format) and `/healthz` over HTTP/1.1.
///
/// Binds to localhost by default; pass another host only when the endpoint should be reachable from
/// elsewhere. Runs on its own NIO event loop (one thread); `stop()` closes the listener.
public final class MetricsServer: @unchecked Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    /// The port actually bound (useful when 0 was requested).
    public let port: Int
    public let host: String

    /// Starts listening. Fails with a message naming the address when the port is taken.
    public init(host: String = "127.0.0.1", port: Int, readiness: @escaping @Sendable () -> Bool = { true }) async throws {
        MetricsSystem.bootstrap()
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(MetricsHTTPHandler(readiness: readiness))
                }
            }
        do {
            channel = try await bootstrap.bind(host: host, port: port).get()
        } catch {
            try? await group.shutdownGracefully()
            throw MetricsServerError(message: "cannot serve metrics on \(host):\(port): \(error)")
        }
        self.host = host
        self.port = channel.localAddress?.port ?? port
    }

    public func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}

public struct MetricsServerError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

final class MetricsHTTPHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    private var path = "/"
    private let readiness: @Sendable () -> Bool

    init(readiness: @escaping @Sendable () -> Bool) { self.readiness = readiness }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): path = String(head.uri.split(separator: "?").first ?? "/")
        case .body: break
        case .end:
            let (status, contentType, body): (HTTPResponseStatus, String, String)
            switch path {
            case "/metrics": (status, contentType, body) = (.ok, "text/plain; version=0.0.4", MetricsSystem.exposition())
            case "/healthz": (status, contentType, body) = (.ok, "text/plain", "ok\n")
            case "/readyz":
                (status, contentType, body) = readiness() ? (.ok, "text/plain", "ready\n") : (.serviceUnavailable, "text/plain", "not ready\n")
            default: (status, contentType, body) = (.notFound, "text/plain", "not found; try /metrics\n")
            }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "Content-Length", value: String(body.utf8.count))
            headers.add(name: "Connection", value: "close")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            var buffer = context.channel.allocator.buffer(capacity: body.utf8.count)
            buffer.writeString(body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
        }
    }
}
