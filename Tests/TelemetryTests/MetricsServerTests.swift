import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Metrics
import Telemetry
import Testing

@Suite struct MetricsServerTests {
    func get(_ port: Int, _ path: String) async throws -> (Int, String) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        return ((response as! HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
    }

    @Test func servesPrometheusTextHealthAndNotFound() async throws {
        MetricsSystem.bootstrap()
        Counter(label: "tideline_test_events_total", dimensions: [("stage", "unit")]).increment(by: 42)
        let server = try await MetricsServer(port: 0)
        #expect(server.host == "127.0.0.1")
        let (status, body) = try await get(server.port, "/metrics")
        #expect(status == 200)
        #expect(body.contains(#"tideline_test_events_total{stage="unit"} 42"#))
        #expect(try await get(server.port, "/healthz").0 == 200)
        #expect(try await get(server.port, "/readyz").0 == 200)
        #expect(try await get(server.port, "/nope").0 == 404)
        await server.stop()
    }

    @Test func takenPortGivesAClearError() async throws {
        let first = try await MetricsServer(port: 0)
        await #expect { try await MetricsServer(port: first.port) } throws: { "\($0)".contains("cannot serve metrics on 127.0.0.1:\(first.port)") }
        await first.stop()
    }
}
