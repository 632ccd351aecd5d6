import Foundation
import Hummingbird
public import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
public import Telemetry

/// The HTTP endpoint of a Tideline process (Hummingbird, HTTP/1.1):
///
/// - `/metrics`: Prometheus text format (every swift-metrics metric of the process);
/// - `/healthz`: 200 while the process runs; `/readyz`: 200 when `readiness` says so, else 503;
/// - `/` (also `/dashboard`): the live dashboard, one self-contained HTML page (no external assets);
/// - `/api/metrics?after=MS`: the readings of `/metrics` kept by `MetricsHistory` (taken every `sampleInterval`),
///   after a Unix time in milliseconds; `/api/events`: the `DashboardJournal` (incidents and model versions).
///
/// Binds to localhost by default; pass another host only when the endpoint should be reachable from elsewhere.
/// Runs on its own event loop thread plus one sampling task; `stop()` closes the listener and ends both.
public final class OperationsServer: Sendable {
    /// The port actually bound (useful when 0 was requested).
    public let port: Int
    public let host: String
    public let history: MetricsHistory
    public let journal: DashboardJournal
    private let group: MultiThreadedEventLoopGroup
    private let services: ServiceGroup
    private let serving: Task<Void, any Error>
    private let sampling: Task<Void, Never>

    /// Starts listening. Fails with a message naming the address when it cannot bind.
    ///
    /// - Parameters:
    ///   - sampleInterval: how often the dashboard's history reads the metrics.
    ///   - title: shown in the dashboard's header (e.g. the stages this process runs).
    ///   - stageGroups: each stage's consumer group, so the dashboard can sum consumer lag per stage.
    public init(host: String = "127.0.0.1", port: Int, readiness: @escaping @Sendable () -> Bool = { true },
                journal: DashboardJournal = DashboardJournal(), history: MetricsHistory = MetricsHistory(),
                sampleInterval: Duration = .seconds(2), title: String = "tideline", stageGroups: [String: String] = [:],
                logger: Logger = Logger(label: "tideline.http")) async throws {
        MetricsSystem.bootstrap()
        self.host = host
        self.journal = journal
        self.history = history
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        let router = Self.router(readiness: readiness, journal: journal, history: history, title: title, stageGroups: stageGroups,
                                 sampleIntervalMilliseconds: Int(sampleInterval / .milliseconds(1)))
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        let (bound, continuation) = AsyncThrowingStream<Int, any Error>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "tideline"),
                              onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? port) },
                              eventLoopGroupProvider: .shared(group), logger: quiet)
        let services = ServiceGroup(configuration: .init(services: [app], logger: quiet))
        self.services = services
        serving = Task {
            do {
                try await services.run()
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
                throw error
            }
        }
        var boundPort: Int?
        do {
            for try await p in bound { boundPort = p; break }
        } catch {
            serving.cancel()
            try? await group.shutdownGracefully()
            throw OperationsServerError(message: "cannot serve metrics on \(host):\(port): \(error)")
        }
        guard let boundPort else {
            serving.cancel()
            try? await group.shutdownGracefully()
            throw OperationsServerError(message: "cannot serve metrics on \(host):\(port): the server stopped before it listened")
        }
        self.port = boundPort
        sampling = Task {
            while !Task.isCancelled {
                history.record()
                try? await Task.sleep(for: sampleInterval)
            }
        }
    }

    /// Closes the listener and stops sampling.
    public func stop() async {
        sampling.cancel()
        await services.triggerGracefulShutdown()
        _ = await serving.result
        try? await group.shutdownGracefully()
    }

    static func router(readiness: @escaping @Sendable () -> Bool, journal: DashboardJournal, history: MetricsHistory,
                       title: String, stageGroups: [String: String], sampleIntervalMilliseconds: Int) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/metrics") { _, _ in
            Self.text(MetricsSystem.exposition(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("/healthz") { _, _ in Self.text("ok\n") }
        router.get("/readyz") { _, _ in readiness() ? Self.text("ready\n") : Self.text("not ready\n", status: .serviceUnavailable) }
        let page = DashboardPage.html(title: title, sampleIntervalMilliseconds: sampleIntervalMilliseconds)
        router.get("/") { _, _ in Self.text(page, contentType: "text/html; charset=utf-8") }
        router.get("/dashboard") { _, _ in Self.text(page, contentType: "text/html; charset=utf-8") }
        router.get("/api/metrics") { request, _ in
            let parameter = request.uri.queryParameters.get("after")
            guard let after = parameter.map({ Int64($0) }) else { return try Self.json(history.window()) }
            guard let after else {
                return Self.text("after: \"\(parameter ?? "")\" is not a Unix time in milliseconds\n", status: .badRequest)
            }
            return try Self.json(history.window(after: after))
        }
        router.get("/api/events") { _, _ in try Self.json(journal.snapshot()) }
        router.get("/api/status") { _, _ in
            try Self.json(Status(ready: readiness(), title: title, stageGroups: stageGroups))
        }
        return router
    }

    static func text(_ body: String, status: HTTPResponse.Status = .ok, contentType: String = "text/plain; charset=utf-8") -> Response {
        Response(status: status, headers: [.contentType: contentType, .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(value)
        return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// What `/api/status` serves.
struct Status: Codable {
    var ready: Bool
    var title: String
    /// Consumer group per stage name.
    var stageGroups: [String: String]
}

public struct OperationsServerError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
