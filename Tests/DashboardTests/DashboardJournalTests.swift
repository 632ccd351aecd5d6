import Dashboard
import Events
import Pipeline
import Testing

@Suite struct DashboardJournalTests {
    static func alert(_ id: String, _ status: AlertEvent.Status, lastSeen: Int64 = 2_000, description: String = "Feature age drifted.") -> AlertEvent {
        AlertEvent(alertID: id, status: status, model: "ctr", kind: .featureDrift, severity: .warning, subject: "age", detector: "ks_2samp",
                   statistic: 0.4, pValue: .nan, threshold: 0.1, window: nil, reference: nil, description: description,
                   firstSeen: EventTime(milliseconds: 1_000), lastSeen: EventTime(milliseconds: lastSeen), occurrences: 2)
    }

    static func update(_ version: String, _ decision: ModelUpdateEvent.Decision, at: Int64) -> ModelUpdateEvent {
        ModelUpdateEvent(model: "ctr", version: version, parentVersion: "v0", kind: .stateful, trigger: .init(kind: "drift", detail: "age"),
                         data: .init(exampleCount: 1024), metrics: [.init(set: "holdout", candidate: ["log_loss": 0.4, "auc": .nan], champion: ["log_loss": 0.5])],
                         decision: decision, reason: "better", checkpoint: nil, parameters: nil, createdAt: EventTime(milliseconds: at))
    }

    @Test func anIncidentIsOneAlertIDFromFiringToResolvedAndOpenOnesComeFirst() {
        let journal = DashboardJournal()
        journal.record([.alert(Self.alert("a1", .firing, lastSeen: 2_000)), .alert(Self.alert("a2", .firing, lastSeen: 3_000))])
        journal.record([.alert(Self.alert("a1", .resolved, lastSeen: 9_000, description: "Resolved: age is back."))])
        let incidents = journal.snapshot().incidents
        #expect(incidents.map(\.alertID) == ["a2", "a1"])
        #expect(incidents[1].status == "resolved")
        #expect(incidents[1].description == "Resolved: age is back.")
        #expect(incidents[0].pValue == nil)  // NaN is not JSON
        #expect(incidents[0].statistic == 0.4)
    }

    @Test func versionsKeepTheirOrderGateDecisionAndOneEntryPerVersion() {
        let journal = DashboardJournal(capacity: 2)
        journal.record([.modelUpdate(Self.update("v1", .rejected, at: 10)), .modelUpdate(Self.update("v2", .promoted, at: 20))])
        journal.record([.modelUpdate(Self.update("v2", .promoted, at: 20))])  // published again after a restart
        var versions = journal.snapshot().versions
        #expect(versions.map(\.version) == ["v1", "v2"])
        #expect(versions.map(\.decision) == ["rejected", "promoted"])
        #expect(versions[1].candidate == ["log_loss": 0.4])
        #expect(versions[1].champion == ["log_loss": 0.5])
        #expect(versions[1].trigger == "drift")
        journal.record([.modelUpdate(Self.update("v3", .promoted, at: 30))])
        versions = journal.snapshot().versions
        #expect(versions.map(\.version) == ["v2", "v3"])
    }
}
