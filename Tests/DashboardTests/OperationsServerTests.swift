import Dashboard
import Events
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Metrics
import Telemetry
import Testing

@Suite struct OperationsServerTests {
    func get(_ port: Int, _ path: String) async throws -> (Int, String, String) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        let http = response as! HTTPURLResponse
        return (http.statusCode, String(decoding: data, as: UTF8.self), http.value(forHTTPHeaderField: "Content-Type") ?? "")
    }

    @Test func servesPrometheusTextHealthReadinessAndNotFound() async throws {
        MetricsSystem.bootstrap()
        Counter(label: "tideline_test_events_total", dimensions: [("stage", "unit")]).increment(by: 42)
        let ready = Flag()
        let server = try await OperationsServer(port: 0, readiness: { ready.value })
        #expect(server.host == "127.0.0.1")
        let (status, body, type) = try await get(server.port, "/metrics")
        #expect(status == 200)
        #expect(type.hasPrefix("text/plain; version=0.0.4"))
        #expect(body.contains(#"tideline_test_events_total{stage="unit"} 42"#))
        #expect(try await get(server.port, "/healthz").0 == 200)
        #expect(try await get(server.port, "/readyz").0 == 503)
        ready.value = true
        #expect(try await get(server.port, "/readyz").0 == 200)
        #expect(try await get(server.port, "/nope").0 == 404)
        await server.stop()
    }

    @Test func takenPortGivesAClearError() async throws {
        let first = try await OperationsServer(port: 0)
        await #expect { try await OperationsServer(port: first.port) } throws: { "\($0)".contains("cannot serve metrics on 127.0.0.1:\(first.port)") }
        await first.stop()
    }

    @Test func servesTheDashboardPageAndItsData() async throws {
        MetricsSystem.bootstrap()
        Gauge(label: "tideline_test_dashboard_gauge", dimensions: [("model", "ctr")]).record(0.25)
        let journal = DashboardJournal()
        journal.record([.alert(DashboardJournalTests.alert("a1", .firing))])
        let server = try await OperationsServer(port: 0, journal: journal, sampleInterval: .milliseconds(100), title: "unit <test>",
                                                stageGroups: ["join": "g-join"])
        let (status, page, type) = try await get(server.port, "/")
        #expect(status == 200)
        #expect(type.hasPrefix("text/html"))
        #expect(page.contains("unit &lt;test&gt;"))
        // Self-contained: no script, stylesheet or image is loaded from elsewhere.
        #expect(!page.contains("src=\"http"))
        #expect(!page.contains("href=\"http"))
        #expect(try await get(server.port, "/dashboard").1 == page)
        try await Task.sleep(for: .milliseconds(350))
        let (_, metricsJSON, jsonType) = try await get(server.port, "/api/metrics")
        #expect(jsonType == "application/json")
        let window = try JSONDecoder().decode(MetricsHistory.Window.self, from: Data(metricsJSON.utf8))
        #expect(window.times.count >= 2)
        let series = window.series.first { $0.name == "tideline_test_dashboard_gauge" }
        #expect(series?.labels == ["model": "ctr"])
        #expect(series?.values.last == 0.25)
        // `after` returns only later readings.
        let later = try JSONDecoder().decode(MetricsHistory.Window.self,
                                             from: Data(try await get(server.port, "/api/metrics?after=\(window.times.last!)").1.utf8))
        #expect(later.times.allSatisfy { $0 > window.times.last! })
        // A malformed `after` is refused with what was wrong; the server keeps serving.
        let (badStatus, badBody, _) = try await get(server.port, "/api/metrics?after=yesterday")
        #expect(badStatus == 400)
        #expect(badBody.contains("after: \"yesterday\" is not a Unix time in milliseconds"))
        #expect(try await get(server.port, "/healthz").0 == 200)
        let events = try JSONDecoder().decode(DashboardJournal.Snapshot.self, from: Data(try await get(server.port, "/api/events").1.utf8))
        #expect(events.incidents.map(\.alertID) == ["a1"])
        let statusJSON = try await get(server.port, "/api/status").1
        #expect(statusJSON.contains(#""stageGroups":{"join":"g-join"}"#))
        await server.stop()
    }
}

final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var _value = false
    var value: Bool {
        get { lock.withLock { _value } }
        set { lock.withLock { _value = newValue } }
    }
}
