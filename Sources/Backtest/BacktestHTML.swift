import Events
import Foundation

/// `report.html`: one self-contained page (inline CSS and SVG, no script, no external assets) with a summary
/// table and, per configuration and model, a chart of the metric over event time — the served model (grey) and the
/// configuration's champion (blue) — marked with firing alerts (red), promoted versions (green), rejected
/// candidates (orange) and rollbacks (purple). A last chart overlays every configuration's champion.
public enum BacktestHTML {
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22"]

    public static func render(_ report: BacktestReport) -> String {
        var h = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Tideline backtest</title>
        <style>
        body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1000px}
        table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
        th{background:#f4f4f4}td.l,th.l{text-align:left}svg{background:#fff;border:1px solid #ddd;margin:8px 0}
        .legend span{margin-right:14px}.sw{display:inline-block;width:12px;height:3px;vertical-align:middle;margin-right:4px}
        </style></head><body>
        <h1>Tideline backtest</h1>

        """
        let span = (report.firstEventTime.map(iso) ?? "-") + " → " + (report.lastEventTime.map(iso) ?? "-")
        h += "<p>Input: \(esc(report.input.sources.joined(separator: ", "))) · event time \(esc(span)) · \(report.input.predictions) predictions, \(report.input.labels) labels"
        h += report.input.malformedCount > 0 ? ", <b>\(report.input.malformedCount) malformed</b> (listed in report.json)" : ""
        h += " · buckets of \(duration(report.bucketMilliseconds))</p>\n"
        h += "<h2>Summary</h2>\n<table><tr><th class=l>configuration</th><th class=l>model</th><th>metric</th><th>served</th><th>champion</th><th>scored by champion</th><th>retrains</th><th>promoted</th><th>rejected</th><th>rollbacks</th><th>alerts</th></tr>\n"
        for c in report.configurations {
            for m in c.models {
                h += "<tr><td class=l>\(esc(c.name))</td><td class=l>\(esc(m.model))</td><td>\(m.metric)</td><td>\(number(m.served))</td><td>\(number(m.champion))</td>"
                h += "<td>\(m.championExamples) / \(m.examples)</td><td>\(m.retrains)</td><td>\(m.promoted)</td><td>\(m.rejected)</td><td>\(m.rollbacks)</td>"
                h += "<td>\(c.alerts.filter { $0.model == m.model && $0.status == "firing" }.count)</td></tr>\n"
            }
        }
        h += "</table>\n"
        for (i, c) in report.configurations.enumerated() {
            h += "<h2>\(esc(c.name))</h2>\n"
            h += "<p>\(c.examples) labeled examples (\(c.join.observed) observed, \(c.join.implicit) implicit, \(c.join.corrections) corrections; \(c.join.pendingAtEnd) predictions still in their window at the end)</p>\n"
            for m in c.models {
                h += chart(report, title: "\(m.model): \(m.metric) over event time", id: "config-\(i)-\(m.model)", cssClass: "chart config",
                           lines: [("served", "#999", m.series.map { ($0.from, $0.served) }, true), ("champion", palette[0], m.series.map { ($0.from, $0.champion) }, false)],
                           metric: m.metric, alerts: c.alerts.filter { $0.model == m.model }, updates: m.updates)
                if !m.updates.isEmpty {
                    h += "<table><tr><th class=l>version</th><th class=l>parent</th><th class=l>kind</th><th class=l>trigger</th><th class=l>decision</th><th>at</th><th>examples</th><th class=l>reason</th></tr>\n"
                    for u in m.updates {
                        h += "<tr><td class=l>\(esc(u.version))</td><td class=l>\(esc(u.parent ?? "-"))</td><td class=l>\(u.kind)</td><td class=l>\(esc(u.trigger))</td><td class=l>\(u.decision)</td><td>\(iso(u.at))</td><td>\(u.examples)</td><td class=l>\(esc(u.reason ?? ""))</td></tr>\n"
                    }
                    h += "</table>\n"
                }
            }
            let firing = c.alerts.filter { $0.status == "firing" }
            if !firing.isEmpty {
                h += "<ul>\n"
                for a in firing.prefix(50) { h += "<li><b>\(esc(a.severity))</b> \(iso(a.at)) \(esc(a.model))/\(esc(a.subject)): \(esc(a.description))</li>\n" }
                h += "</ul>\n"
            }
        }
        if report.configurations.count > 1 {
            h += "<h2>All configurations</h2>\n"
            for model in Set(report.configurations.flatMap { $0.models.map(\.model) }).sorted() {
                var lines: [(String, String, [(Int64, Double?)], Bool)] = []
                var metric = "accuracy"
                for (i, c) in report.configurations.enumerated() {
                    guard let m = c.models.first(where: { $0.model == model }) else { continue }
                    metric = m.metric
                    lines.append((c.name, palette[i % palette.count], m.series.map { ($0.from, $0.champion) }, false))
                }
                h += chart(report, title: "\(model): champion \(metric) per configuration", id: "overlay-\(model)", cssClass: "chart overlay",
                           lines: lines, metric: metric, alerts: [], updates: [])
            }
        }
        h += "<p style=\"color:#777\">Generated by tideline backtest from event time only: the same input and configurations give the same report.</p>\n</body></html>\n"
        return h
    }

    static func chart(_ report: BacktestReport, title: String, id: String, cssClass: String, lines: [(String, String, [(Int64, Double?)], Bool)],
                      metric: String, alerts: [BacktestReport.Alert], updates: [BacktestReport.Update]) -> String {
        let width = 900.0, height = 260.0, left = 50.0, right = 10.0, top = 24.0, bottom = 30.0
        let t0 = Double(report.firstEventTime ?? 0), t1 = max(Double(report.lastEventTime ?? 1), t0 + 1)
        let values = lines.flatMap { $0.2.compactMap(\.1) }
        let yMax = metric == "mae" ? max(values.max() ?? 1, 1e-9) * 1.1 : 1.0
        let yMin = metric == "mae" ? 0.0 : min(0.5, (values.min() ?? 0.5))
        func x(_ t: Int64) -> Double { left + (Double(t) - t0) / (t1 - t0) * (width - left - right) }
        func y(_ v: Double) -> Double { top + (1 - (v - yMin) / max(yMax - yMin, 1e-12)) * (height - top - bottom) }
        var s = "<svg class=\"\(cssClass)\" id=\"\(esc(id))\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">\n"
        s += "<text x=\"\(left)\" y=\"16\" font-size=\"13\">\(esc(title))</text>\n"
        for k in 0 ... 4 {
            let v = yMin + (yMax - yMin) * Double(k) / 4
            s += "<line x1=\"\(left)\" x2=\"\(width - right)\" y1=\"\(f(y(v)))\" y2=\"\(f(y(v)))\" stroke=\"#eee\"/><text x=\"4\" y=\"\(f(y(v) + 4))\" font-size=\"10\">\(String(format: "%.3f", v))</text>\n"
        }
        s += "<text x=\"\(left)\" y=\"\(height - 8)\" font-size=\"10\">\(iso(Int64(t0)))</text><text x=\"\(width - right - 150)\" y=\"\(height - 8)\" font-size=\"10\">\(iso(Int64(t1)))</text>\n"
        for a in alerts where a.status == "firing" {
            s += "<line x1=\"\(f(x(a.at)))\" x2=\"\(f(x(a.at)))\" y1=\"\(top)\" y2=\"\(height - bottom)\" stroke=\"#d62728\" stroke-width=\"1\"><title>\(esc(a.severity)) \(esc(a.subject)): \(esc(a.description))</title></line>\n"
        }
        for u in updates {
            let color = u.kind == "rollback" ? "#9467bd" : (u.decision == "promoted" ? "#2ca02c" : "#ff7f0e")
            let px = x(u.at), py = height - bottom
            s += "<path d=\"M\(f(px)) \(f(py - 10)) L\(f(px - 5)) \(f(py)) L\(f(px + 5)) \(f(py)) Z\" fill=\"\(color)\"><title>\(esc(u.version)) \(u.kind) \(u.decision) (\(esc(u.trigger)))\(u.reason.map { ": " + esc($0) } ?? "")</title></path>\n"
        }
        for (name, color, points, dashed) in lines {
            var d = "", pen = false
            for (t, v) in points {
                guard let v else { pen = false; continue }
                d += "\(pen ? "L" : "M")\(f(x(t))) \(f(y(v))) "
                pen = true
            }
            if !d.isEmpty {
                s += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dashed ? " stroke-dasharray=\"4 3\"" : "")><title>\(esc(name))</title></path>\n"
            }
        }
        s += "</svg>\n<div class=\"legend\">"
        for (name, color, _, _) in lines { s += "<span><i class=\"sw\" style=\"background:\(color)\"></i>\(esc(name))</span>" }
        if !alerts.isEmpty || !updates.isEmpty {
            s += "<span><i class=\"sw\" style=\"background:#d62728\"></i>alert</span><span><i class=\"sw\" style=\"background:#2ca02c\"></i>promoted</span>"
            s += "<span><i class=\"sw\" style=\"background:#ff7f0e\"></i>rejected</span><span><i class=\"sw\" style=\"background:#9467bd\"></i>rollback</span>"
        }
        return s + "</div>\n"
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }
    static func number(_ v: Double?) -> String { v.map { String(format: "%.4f", $0) } ?? "-" }
    static func esc(_ s: String) -> String {
        var o = ""
        for c in s {
            switch c {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "\"": o += "&quot;"
            default: o.append(c)
            }
        }
        return o
    }
    static func iso(_ ms: Int64) -> String { EventTime(milliseconds: ms).rfc3339 }
    static func duration(_ ms: Int64) -> String {
        if ms % 86_400_000 == 0 { return "\(ms / 86_400_000) d" }
        if ms % 3_600_000 == 0 { return "\(ms / 3_600_000) h" }
        if ms % 60_000 == 0 { return "\(ms / 60_000) min" }
        return "\(ms / 1000) s"
    }
}
