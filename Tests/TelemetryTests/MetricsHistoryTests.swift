import Telemetry
import Testing

@Suite struct PrometheusTextTests {
    @Test func parsesNamesLabelsEscapesAndSpecialValues() {
        let text = """
        # HELP tideline_x_total Something.
        # TYPE tideline_x_total counter
        tideline_x_total{stage="join",topic="a\\"b"} 42
        tideline_plain 1.5e3
        tideline_h_bucket{le="+Inf"} 7
        tideline_nan NaN
        tideline_inf{k="v"} +Inf
        not a sample
        """
        let samples = PrometheusText.parse(text)
        #expect(samples.count == 5)
        #expect(samples[0].name == "tideline_x_total")
        #expect(samples[0].labels == [.init(name: "stage", value: "join"), .init(name: "topic", value: "a\"b")])
        #expect(samples[0].value == 42)
        #expect(samples[1].value == 1500)
        #expect(samples[2].labels == [.init(name: "le", value: "+Inf")])
        #expect(samples[3].value.isNaN)
        #expect(samples[4].value == .infinity)
        #expect(samples[0].seriesKey == #"tideline_x_total{stage="join",topic="a"b"}"#)
    }
}

@Suite struct MetricsHistoryTests {
    @Test func alignsSeriesOnReadingsDropsBucketsAndForgetsOldReadings() {
        let history = MetricsHistory(capacity: 3)
        history.record(exposition: "a 1\nh_bucket{le=\"1\"} 3\nh_count 3\n", at: 1_000)
        history.record(exposition: "a 2\nb{m=\"x\"} 5\n", at: 2_000)
        var w = history.window()
        #expect(w.times == [1_000, 2_000])
        #expect(w.series.map(\.name) == ["a", "b", "h_count"])
        #expect(w.series[0].values == [1, 2])
        #expect(w.series[1].values == [nil, 5])
        #expect(w.series[1].labels == ["m": "x"])
        #expect(w.series[2].values == [3, nil])
        history.record(exposition: "a 3\nb{m=\"x\"} NaN\n", at: 3_000)
        history.record(exposition: "a 4\n", at: 4_000)
        w = history.window()
        #expect(w.times == [2_000, 3_000, 4_000])
        #expect(w.series.map(\.name) == ["a", "b"])  // h_count has no reading left
        #expect(w.series[1].values == [5, nil, nil])
        let after = history.window(after: 3_000)
        #expect(after.times == [4_000])
        #expect(after.series.map(\.name) == ["a"])
        #expect(after.series[0].values == [4])
    }
}
