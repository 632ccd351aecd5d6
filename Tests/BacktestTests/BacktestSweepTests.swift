import Backtest
import Testing
import TidelineConfig

@Suite struct BacktestSweepTests {
    /// Axes multiply, first axis slowest, and each configuration's overrides reach the validated configuration.
    @Test func axesMultiplyAndOverridesReachTheConfiguration() throws {
        let sweep = try BacktestSweep(["trainer.batch_size=512,1024", "trigger=volume:2048,time:1h,drift,never"])
        let configurations = try sweep.configurations()
        #expect(configurations.map(\.name) == [
            "trainer.batch_size=512 trigger=volume:2048", "trainer.batch_size=512 trigger=time:1h", "trainer.batch_size=512 trigger=drift",
            "trainer.batch_size=512 trigger=never", "trainer.batch_size=1024 trigger=volume:2048", "trainer.batch_size=1024 trigger=time:1h",
            "trainer.batch_size=1024 trigger=drift", "trainer.batch_size=1024 trigger=never",
        ])
        let yaml = "models:\n  ctr:\n    train: {batch_size: 256, triggers: {examples: 10, min_interval: 1m}}\n  other:\n    task: binary_classification\n"
        let time = try TidelineConfiguration.parse(yaml, overrides: configurations[5].overrides)
        let ctr = time.trainConfigurations["ctr"]!
        #expect(ctr.batchSize == 1024)
        #expect(ctr.triggers.interval == 3_600_000 && ctr.triggers.examples == nil && !ctr.triggers.onDrift && ctr.triggers.errorChangeDelta == nil)
        #expect(time.trainConfigurations["other"] == nil)  // `*` follows only models that have a train section
        let volume = try TidelineConfiguration.parse(yaml, overrides: configurations[0].overrides).trainConfigurations["ctr"]!
        #expect(volume.triggers.examples == 2048 && volume.triggers.interval == nil && volume.batchSize == 512)
        let drift = try TidelineConfiguration.parse(yaml, overrides: configurations[2].overrides).trainConfigurations["ctr"]!
        #expect(drift.triggers.onDrift && drift.triggers.examples == nil)
        let explicit = try TidelineConfiguration.parse(yaml, overrides: [ConfigOverride("models.ctr.train.mode=stateless")])
        #expect(explicit.trainConfigurations["ctr"]!.mode == .stateless)
        #expect(try BacktestSweep([]).configurations().map(\.name) == ["baseline"])
    }

    /// Bad sweeps fail before anything runs, naming the argument or the field.
    @Test func badSweepsNameWhatIsWrong() throws {
        func failure(_ arguments: [String], yaml: String = "models:\n  ctr:\n    train: {batch_size: 256}\n") -> String {
            do {
                for c in try BacktestSweep(arguments).configurations() { _ = try TidelineConfiguration.parse(yaml, overrides: c.overrides) }
                return "no error"
            } catch { return error.description }
        }
        #expect(failure(["batch_size"]).contains("expected key=value1,value2"))
        #expect(failure(["trigger=weekly"]).contains("\"weekly\" is not volume:N, time:DURATION, drift or never"))
        #expect(failure(["trainer.batch_size=512,", "x=1"]).contains("list at least one value"))
        #expect(failure(["trainer.batch_size=0"]).contains("models.ctr.train.batch_size"))
        #expect(failure(["trainer.batch_size=512", "trainer.batch_size=1024"]).contains("swept twice"))
        #expect(failure(["trainer.no_such_key=1"]).contains("unknown key"))
        #expect(failure(["kafka.client_id.x=1"], yaml: "kafka: {client_id: a}\n").contains("\"x\" is below a value that is not a mapping"))
        #expect(failure(["trainer.batch_size=[1, 2"]).contains("the value is not valid YAML"))
        #expect(throws: ConfigurationError.self) { try ConfigOverride("models.ctr") }
        #expect(throws: ConfigurationError.self) { try ConfigOverride("models..ctr=1") }
    }
}
