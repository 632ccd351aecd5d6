import NIOCore
import NIOPosix

/// A TCP forwarder from a fixed local port to one broker of the embedded cluster.
///
/// librdkafka's mock brokers listen on ephemeral ports. Kafka clients only need a stable *bootstrap*
/// address: after the first metadata response they connect to the brokers' advertised addresses
/// (127.0.0.1:<ephemeral>) directly. So `tideline broker --port 9092` forwards 9092 to broker 1 and every
/// client on this machine can use `localhost:9092`.
final class BootstrapForwarder: @unchecked Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    let port: Int

    init(listenHost: String, port: Int, targetHost: String, targetPort: Int) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { inbound in
                inbound.pipeline.addHandler(ClientSideHandler(targetHost: targetHost, targetPort: targetPort))
            }
        do {
            channel = try await bootstrap.bind(host: listenHost, port: port).get()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        self.port = channel.localAddress?.port ?? port
    }

    func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}

/// On the client's connection: connects upstream when the client connects, buffers what the client sends
/// until the upstream connection is up, then forwards both ways.
private final class ClientSideHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private let targetHost: String
    private let targetPort: Int
    private var upstream: (any Channel)?
    private var pending: [ByteBuffer] = []
    private var closed = false

    init(targetHost: String, targetPort: Int) {
        self.targetHost = targetHost
        self.targetPort = targetPort
    }

    func channelActive(context: ChannelHandlerContext) {
        let client = context.channel
        let loop = context.eventLoop
        ClientBootstrap(group: loop)
            .channelInitializer { upstream in upstream.pipeline.addHandler(UpstreamHandler(client: client)) }
            .connect(host: targetHost, port: targetPort)
            .whenComplete { result in
                loop.execute {
                    switch result {
                    case .success(let upstream):
                        if self.closed { upstream.close(promise: nil); return }
                        self.upstream = upstream
                        for buffer in self.pending { upstream.write(buffer, promise: nil) }
                        self.pending.removeAll()
                        upstream.flush()
                    case .failure:
                        client.close(promise: nil)
                    }
                }
            }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        if let upstream { upstream.writeAndFlush(buffer, promise: nil) } else { pending.append(buffer) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        upstream?.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// On the upstream connection: forwards the broker's bytes to the client.
private final class UpstreamHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private let client: any Channel

    init(client: any Channel) { self.client = client }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        client.writeAndFlush(unwrapInboundIn(data), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        client.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
