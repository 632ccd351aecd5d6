import Foundation
import Kafka
import Testing
import TidelineConfig

@Suite struct ConfigurationTests {
    @Test func parsesAFullFile() throws {
        let config = try TidelineConfiguration.parse("""
            kafka:
              brokers: [kafka-1:9092, kafka-2:9092]
              client_id: tideline-prod
              topic_prefix: prod.
              properties:
                security.protocol: SASL_SSL
                sasl.mechanism: SCRAM-SHA-512
                sasl.password: hunter2
            metrics:
              port: 9100
            limits:
              max_features: 256
            models:
              ctr:
                task: binary_classification
                join: {window: 30m}
              eta:
                task: regression
            """)
        #expect(config.kafka.brokers == ["kafka-1:9092", "kafka-2:9092"])
        #expect(config.topic("predictions") == "prod.predictions")
        #expect(config.kafkaClient.properties["sasl.mechanism"] == "SCRAM-SHA-512")
        #expect(config.kafkaClient.redactedProperties["sasl.password"] == "[redacted]")
        #expect(config.metrics.port == 9100 && config.metrics.host == "127.0.0.1")
        #expect(config.limits.maxFeatures == 256)
        #expect(config.models.map(\.name) == ["ctr", "eta"])
        #expect(config.models[1].task == .regression)
        #expect(config.models[0].join?.window == 1_800_000)
    }

    @Test func parsesTheJoinSections() throws {
        let config = try TidelineConfiguration.parse("""
            join:
              group: joiners
              idle_timeout: 45s
              max_pending_bytes: 256MiB
              overflow: evict_oldest
              defaults: {window: 10m, aggregation: last}
            state:
              path: /var/lib/tideline/state.sqlite
            models:
              ctr:
                join: {window: 1h, backward_window: 500ms, grace: 2s, correction_horizon: 1d, default_label: false, aggregation: max}
              eta:
                task: regression
              churn:
                task: binary_classification
            """)
        let join = config.joinConfiguration
        #expect(config.join.group == "joiners" && config.join.idleTimeout == 45_000)
        #expect(join.maxPendingBytes == 256 << 20 && join.overflow == .evictOldest)
        #expect(config.state.path == "/var/lib/tideline/state.sqlite")
        let ctr = join.policy(for: "ctr")
        #expect(ctr.window == 3_600_000 && ctr.backwardWindow == 500 && ctr.grace == 2_000 && ctr.correctionHorizon == 86_400_000)
        #expect(ctr.defaultLabel == .bool(false) && ctr.aggregation == .max)
        // Models without a join section get join.defaults; regression models drop unlabeled predictions.
        #expect(join.policy(for: "eta").window == 600_000 && join.policy(for: "eta").defaultLabel == nil)
        #expect(join.policy(for: "churn").aggregation == .last && join.policy(for: "churn").defaultLabel == .number(0))
    }

    @Test(arguments: [
        ("models: {ctr: {join: {window: soon}}}", "models.ctr.join.window"),
        ("models: {ctr: {join: {window: 0}}}", "models.ctr.join.window"),
        ("models: {ctr: {join: {window: 30d}}}", "models.ctr.join.window"),
        ("models: {ctr: {join: {aggregation: median}}}", "models.ctr.join.aggregation"),
        ("models: {ctr: {join: {widow: 1m}}}", "models.ctr.join.widow"),
        ("join: {overflow: drop}", "join.overflow"),
        ("join: {max_pending_bytes: 10}", "join.max_pending_bytes"),
        ("join: {checkpoint_interval: 1ms}", "join.checkpoint_interval"),
    ])
    func badJoinSettingsNameTheField(yaml: String, field: String) {
        do {
            _ = try TidelineConfiguration.parse(yaml)
            Issue.record("accepted \(yaml)")
        } catch {
            #expect(error.field == field, "\(error)")
        }
    }

    @Test func parsesTheMonitorSections() throws {
        let config = try TidelineConfiguration.parse("""
            monitor:
              group: mon
              defaults: {window: 10m, hop: 5m, alpha: 0.001, correction: bonferroni, min_ks: 0.2, ks_method: asymptotic, reference: previous}
              alerts: {max_per_hour: 4, feature_drift: {severity: critical, for_windows: 3, cooldown: 1h, description: "{subject} moved"}}
            models:
              ctr:
                monitor:
                  min_auc: 0.7
                  features: {age: {type: number, min: 0, max: 120}, country: {allowed: [NL, DE], pattern: "[A-Z]{2}"}}
              eta: {}
            """)
        let m = config.monitorConfiguration
        #expect(config.monitor.group == "mon")
        let ctr = m.policy(for: "ctr"), eta = m.policy(for: "eta")
        #expect(ctr.windowMilliseconds == 600_000 && ctr.hopMilliseconds == 300_000 && ctr.drift.alpha == 0.001)
        #expect(ctr.drift.correction == .bonferroni && ctr.drift.minimumKS == 0.2 && ctr.reference == .previous)
        #expect(ctr.drift.ksMethod == .asymptotic && config.monitorConfiguration.policy(for: "unconfigured").drift.ksMethod == .asymptotic)
        #expect(try TidelineConfiguration.parse("models: {m: {}}").monitorConfiguration.policy(for: "m").drift.ksMethod == .asymptotic)
        #expect(try TidelineConfiguration.parse("monitor: {defaults: {ks_method: auto}}").monitorConfiguration.policy(for: "m").drift.ksMethod == .auto)
        #expect { try TidelineConfiguration.parse("monitor:\n  defaults: {ks_method: fast}\n") } throws: {
            "\($0)".contains("monitor.defaults.ks_method") && "\($0)".contains("auto, exact, asymptotic")
        }
        #expect(ctr.minimumAUC == 0.7 && ctr.expectations["age"]?.maximum == 120 && ctr.expectations["country"]?.allowed == ["NL", "DE"])
        #expect(eta.minimumAUC == nil && eta.windowMilliseconds == 600_000)
        #expect(m.alerts.maxIncidentsPerModelPerHour == 4)
        let drift = m.alerts.policy(.featureDrift)
        #expect(drift.severity == .critical && drift.forWindows == 3 && drift.cooldownMilliseconds == 3_600_000 && drift.template == "{subject} moved")
    }

    @Test func countBasedWindowsAreReadPerModel() throws {
        let config = try TidelineConfiguration.parse("""
            monitor:
              defaults: {window_events: 5000, hop_events: 2500}
            models:
              ctr: {monitor: {window: 10m}}
              eta: {monitor: {window_events: 200}}
              cvr: {}
            """)
        let m = config.monitorConfiguration
        let cvr = m.policy(for: "cvr"), ctr = m.policy(for: "ctr"), eta = m.policy(for: "eta")
        #expect(cvr.windowEvents == 5000 && cvr.hopEvents == 2500 && cvr.minimumWindowEvents == 500)
        // An event-time window for one model replaces the count-based default.
        #expect(ctr.windowEvents == nil && ctr.hopEvents == nil && ctr.windowMilliseconds == 600_000)
        // A smaller count window is tumbling unless it names its hop, and is evaluated when full.
        #expect(eta.windowEvents == 200 && eta.hopEvents == nil && eta.minimumWindowEvents == 200)
    }

    @Test(arguments: [
        ("monitor: {defaults: {window: 0}}", "monitor.defaults.window"),
        ("monitor: {defaults: {hop: 1h}}", "monitor.defaults.hop"),
        ("monitor: {defaults: {alpha: 2}}", "monitor.defaults.alpha"),
        ("monitor: {defaults: {correction: holm}}", "monitor.defaults.correction"),
        ("monitor: {defaults: {refrence: fixed}}", "monitor.defaults.refrence"),
        ("models: {ctr: {monitor: {reference: snapshot}}}", "models.ctr.monitor.reference_path"),
        ("monitor: {alerts: {schema: {severity: loud}}}", "monitor.alerts.schema.severity"),
        ("monitor: {alerts: {flood: {}}}", "monitor.alerts.flood"),
        ("models: {ctr: {monitor: {features: {age: {min: 5, max: 1}}}}}", "models.ctr.monitor.features.age.min"),
        ("models: {ctr: {monitor: {features: {code: {pattern: \"[a-\"}}}}}", "models.ctr.monitor.features.code.pattern"),
        ("monitor: {defaults: {window: 5m, window_events: 1000}}", "monitor.defaults.window_events"),
        ("monitor: {defaults: {hop_events: 100}}", "monitor.defaults.hop_events"),
        ("monitor: {defaults: {window_events: 1000, hop_events: 50}}", "monitor.defaults.hop_events"),
        ("monitor: {defaults: {window_events: 1000, hop_events: 2000}}", "monitor.defaults.hop_events"),
        ("monitor: {defaults: {window_events: 5}}", "monitor.defaults.window_events"),
        ("models: {ctr: {monitor: {window_events: 1000, min_window_events: 2000}}}", "models.ctr.monitor.min_window_events"),
    ])
    func badMonitorSettingsNameTheField(yaml: String, field: String) {
        do {
            _ = try TidelineConfiguration.parse(yaml)
            Issue.record("accepted \(yaml)")
        } catch {
            #expect(error.field == field, "\(error)")
        }
    }

    @Test func emptyFileGivesDefaults() throws {
        let config = try TidelineConfiguration.parse("")
        #expect(config.kafka.brokers == ["localhost:9092"])
        #expect(config.metrics.host == "127.0.0.1")
    }

    @Test(arguments: [
        ("kafka:\n  brokerz: [a:1]\n", "kafka.brokerz", "allowed keys here: brokers, client_id, properties, topic_prefix"),
        ("kafka:\n  brokers: [nohost]\n", "kafka.brokers", "is not host:port"),
        ("kafka:\n  brokers: []\n", "kafka.brokers", "at least one broker"),
        ("kafka:\n  topic_prefix: 'a b'\n", "kafka.topic_prefix", "only letters"),
        ("metrics:\n  port: 70000\n", "metrics.port", "out of range 0...65535"),
        ("metrics:\n  port: lots\n", "metrics.port", "expected an integer"),
        ("metrics:\n  enabled: maybe\n", "metrics.enabled", "expected true or false"),
        ("limits:\n  max_features: 0\n", "limits.max_features", "out of range"),
        ("models:\n  ctr:\n    task: ranking\n", "models.ctr.task", "binary_classification, regression, multiclass"),
        ("models:\n  ctr:\n    trainer: {}\n", "models.ctr.trainer", "allowed keys here: join, monitor, task, train"),
        ("models:\n  'c t r': {}\n", "models.c t r", "model names may contain"),
        ("surprise: 1\n", "surprise", "allowed keys here"),
        ("kafka: [1, 2]\n", "kafka", "expected a mapping"),
    ])
    func badFieldsAreNamed(yaml: String, field: String, message: String) {
        #expect {
            try TidelineConfiguration.parse(yaml)
        } throws: { error in
            guard let e = error as? ConfigurationError else { return false }
            return e.field == field && e.description.contains(message) && e.line != nil
        }
    }

    @Test func invalidYAMLIsReported() {
        #expect { try TidelineConfiguration.parse("kafka: [unclosed") } throws: { "\($0)".contains("not valid YAML") }
        #expect { try TidelineConfiguration.load(path: "/nonexistent/tideline.yaml") } throws: { "\($0)".contains("cannot read") }
    }

    @Test func exampleConfigInTheRepositoryIsValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let config = try TidelineConfiguration.load(path: root.appendingPathComponent("tideline.yaml").path)
        #expect(!config.models.isEmpty)
    }
}

@Suite struct TopicCatalogTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func repositoryTopicsMatchTheContract() throws {
        let catalog = try TopicCatalog.load(directory: Self.root.appendingPathComponent("topics").path)
        #expect(Set(catalog.topics.map(\.name)) == Set(TopicCatalog.requiredTopics))
        let predictions = try #require(catalog.topic("predictions")), labels = try #require(catalog.topic("labels"))
        #expect(predictions.partitions == labels.partitions, "predictions and labels are co-partitioned")
        #expect(predictions.key == "request_id" && labels.key == "request_id")
        #expect(catalog.topic("labeled-examples")?.key == "model")
        let spec = predictions.spec(prefix: "prod.", maxReplication: 1)
        #expect(spec.name == "prod.predictions" && spec.replicationFactor == 1 && spec.config["cleanup.policy"] == "delete")
        #expect(predictions.valueSchemaJSON.contains("\"request_id\""))
    }

    @Test func badTopicFileIsNamed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("topics-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try #"{"name":"predictions","key":"request_id","partitions":0,"replication_factor":1,"config":{},"value_schema":{}}"#
            .write(to: dir.appendingPathComponent("predictions.json"), atomically: true, encoding: .utf8)
        #expect { try TopicCatalog.load(directory: dir.path) } throws: { "\($0)".contains("predictions.json") && "\($0)".contains("\"partitions\"") }
    }
}
